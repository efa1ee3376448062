/**
 * What a board is, as configured (the `boards` key of the hub's config file)
 * and as validated: the seam between the config file, the server's page
 * renderer and the browser's board code. Pure data: no Node or DOM APIs, so
 * the browser build shares it.
 */

/** One state a tile can be in, e.g. Production. */
export interface BoardState {
  /** Shown in the overview and on the tile. Default: the state's value. */
  readonly label: string;
  /** CSS colour of the tile, e.g. `#89AB0F`. */
  readonly color: string;
}

/** A line of a tile: a field of the update, shown with an optional label. */
export interface TileLine {
  /** JSON path into the update's data (`operator`, `order.number`). */
  readonly field: string;
  /** Text before the value, e.g. `Operator`. Default none. */
  readonly label?: string | undefined;
}

/** A validated board. */
export interface Board {
  /** URL name: `/boards/{name}`. Letters, digits, `-` and `_`. */
  readonly name: string;
  /** Shown above the grid and in the page title. */
  readonly title: string;
  /** The topic selector of the tiles: a URI template such as `https://andon.example/workplaces/{id}`. */
  readonly topics: string;
  /** Field of the update that holds the tile's title (e.g. `name`). */
  readonly titleField: string;
  /** Field that orders tiles. Default the title field. */
  readonly orderField: string;
  /** `natural` (CNC 2 before CNC 10; the default) or `text`. */
  readonly order: 'natural' | 'text';
  /** Lines shown under the title. */
  readonly lines: readonly TileLine[];
  /** Field holding the time (ISO 8601 or ms) the current state began; the tile shows how long it has lasted. */
  readonly sinceField: string | undefined;
  /** Field holding the tile's state. */
  readonly stateField: string;
  /** The states, by value of the state field, in the order the overview lists them. */
  readonly states: Readonly<Record<string, BoardState>>;
  /** Colour of a tile whose state is not listed. */
  readonly unknownColor: string;
  /** Field that, when true, deletes the tile (an update with empty data deletes it too). */
  readonly deletedField: string;
  /** Field that, when true, marks the tile's data stale (its source lost its database). */
  readonly staleField: string;
  /** Time zone of the clock (IANA, e.g. `Europe/Prague`). Default the server's. */
  readonly timeZone: string;
  /** Locale of the clock and numbers (BCP 47, e.g. `cs-CZ`). Default `en-GB`. */
  readonly locale: string;
  /** Layout of the grid. */
  readonly layout: BoardLayout;
  /** The page marks itself stale after this many ms without a heartbeat or event. */
  readonly staleAfterMs: number;
}

/** Grid layout. */
export interface BoardLayout {
  /** Columns of the grid; 0 chooses from the number of tiles to fill the screen. Default 0. */
  readonly columns: number;
  /** Smallest tile width in CSS pixels at 1920 px wide; the page scales with the screen. Default 260. */
  readonly minTileWidth: number;
}

/** One tile, as the page shows it. */
export interface Tile {
  /** The tile's key: its topic. */
  readonly key: string;
  readonly title: string;
  /** Value of the order field, for sorting. */
  readonly orderValue: string;
  /** Lines, already formatted (`Operator: Jan Novák`). */
  readonly lines: readonly string[];
  /** The state's value (a key of `Board.states`, or an unknown value). */
  readonly state: string;
  /** When the state began, ms since the epoch, if known. */
  readonly since: number | undefined;
  /** True when the source says its data is stale. */
  readonly stale: boolean;
}
