/**
 * The demo board: the hall of the demo simulator (`src/sources/simulator.ts`,
 * 20 workplaces `CNC 0` to `CNC 19`), shown at `/boards/demo` when the hub
 * runs with `--demo` (as `npm start` does). Built through {@link parseBoards},
 * so it is also a worked example of a board's config.
 */
import { parseBoards } from './config.js';
import type { Board } from './types.js';

/** The demo board's config, as it would be written under `boards:` in a config file. */
export const DEMO_BOARD_CONFIG = {
  demo: {
    title: 'Demo hall',
    topics: 'https://andon.example/workplaces/{id}',
    tile: {
      title: 'name',
      lines: [
        { field: 'operator', label: 'Operator' },
        { field: 'order', label: 'Order' },
        { field: 'reason', label: 'Reason' },
      ],
      since: 'since',
      state: 'state',
    },
    states: {
      Production: { color: '#89AB0F' },
      Downtime: { color: '#E6AD3C' },
      Poweroff: { color: '#DE6B59' },
    },
  },
} as const;

/** The demo board (name `demo`, title "Demo hall"), in the server's time zone. */
export function demoBoard(): Board {
  return parseBoards(DEMO_BOARD_CONFIG, 'the demo board')[0]!;
}
