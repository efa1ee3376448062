/**
 * What a board is, as configured (the `boards` key of the hub's config file)
 * and as validated: the seam between the config file, the server's page
 * renderer and the browser's board code. Pure data: no Node or DOM APIs, so
 * the browser build shares it, and a board travels to the page as JSON.
 */

/** One state a tile can be in, e.g. Production. */
export interface BoardState {
  /** The value of the state field that selects this state, e.g. `Downtime`. */
  readonly value: string;
  /** Shown in the overview and on the tile. Default: the value. */
  readonly label: string;
  /** CSS colour of the tile, e.g. `#89AB0F`. */
  readonly color: string;
  /** CSS colour of the tile's text. Default: black or white, whichever reads better on `color`. */
  readonly textColor: string;
}

/** A line of a tile: a field of the update, shown with an optional label. */
export interface TileLine {
  /** Dotted path into the update's data (`operator`, `order.number`). */
  readonly field: string;
  /** Text before the value, e.g. `Operator`. Default none. */
  readonly label?: string | undefined;
}

/** A validated board. */
export interface Board {
  /** URL name: `/boards/{name}`. Letters, digits, `-` and `_`. */
  readonly name: string;
  /** Shown above the grid and in the page title. Default: the name. */
  readonly title: string;
  /** Topic selectors of the tiles: URI templates such as `https://andon.example/workplaces/{id}`. */
  readonly topics: readonly string[];
  /** Field of the update that holds the tile's title. Default `name`. */
  readonly titleField: string;
  /** Field that orders tiles. Default the title field. */
  readonly orderField: string;
  /** `natural` (CNC 2 before CNC 10; the default) or `text` (code-point order). */
  readonly order: 'natural' | 'text';
  /** Lines shown under the title. Default none. */
  readonly lines: readonly TileLine[];
  /** Field holding the time (ISO 8601 or ms) the current state began; the tile shows how long it has lasted. Default none. */
  readonly sinceField: string | undefined;
  /** Field holding the tile's state. Default `state`. */
  readonly stateField: string;
  /** The states, in the order the overview lists them. */
  readonly states: readonly BoardState[];
  /** Colour of a tile whose state is not listed (or whose data is malformed). Default `#6B7280`. */
  readonly unknownColor: string;
  /** Text colour on {@link Board.unknownColor}: black or white, whichever reads better. */
  readonly unknownTextColor: string;
  /** Field that, when true, deletes the tile (an update with empty data deletes it too). Default `deleted`. */
  readonly deletedField: string;
  /** Field that, when true, marks the tile's data stale (its source lost its database). Default `stale`. */
  readonly staleField: string;
  /** Time zone of the clock (IANA, e.g. `Europe/Prague`). Default the server's. */
  readonly timeZone: string;
  /** Locale of the clock and date (BCP 47, e.g. `cs-CZ`). Default `en-GB`. */
  readonly locale: string;
  /** Layout of the grid. */
  readonly layout: BoardLayout;
  /** Heartbeat the page asks the hub for, in ms (at least 1000). Default 2000. */
  readonly heartbeatMs: number;
  /** The page marks itself stale after this many ms without a heartbeat or event. Default 5000. */
  readonly staleAfterMs: number;
}

/** Grid layout. */
export interface BoardLayout {
  /** Columns of the grid; 0 chooses from the number of tiles to fill the screen. Default 0. */
  readonly columns: number;
  /** Smallest tile width in CSS pixels at 1920 px wide; the page scales with the screen. Default 260. */
  readonly minTileWidth: number;
}

/** One line of a tile, formatted. */
export interface TileText {
  /** The line's label, if the board gives one. */
  readonly label: string | undefined;
  /** The field's value as text. */
  readonly value: string;
}

/** One tile, as the page shows it. */
export interface Tile {
  /** The tile's key: its topic. */
  readonly key: string;
  readonly title: string;
  /** Value of the order field, for sorting. */
  readonly orderValue: string;
  /** Lines with a value (lines whose field is absent or empty are left out). */
  readonly lines: readonly TileText[];
  /** The state's value (the `value` of one of `Board.states`, or any other text). */
  readonly state: string;
  /** When the state began, ms since the epoch, if known. */
  readonly since: number | undefined;
  /** True when the source says its data is stale. */
  readonly stale: boolean;
  /** Why the update could not be read (malformed JSON, not an object); the tile shows it. */
  readonly error: string | undefined;
}
