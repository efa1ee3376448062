/** examples/mes/andon.yaml is a valid config: its source and its board pass validation. */
import { describe, expect, it } from 'vitest';
import { parseBoards } from '../../src/boards/config.js';
import { parseServeArgs } from '../../src/cli/settings.js';
import { parseSources } from '../../src/sources/config.js';

describe('examples/mes/andon.yaml', () => {
  it('has a valid SQL source reading query.sql and a valid board', () => {
    const command = parseServeArgs(['--config', 'examples/mes/andon.yaml'], {});
    if (command.help) throw new Error('unexpected help');
    const { config } = command;
    const [source] = parseSources(config.sources, config.configFile);
    expect(source).toMatchObject({
      name: 'mes',
      kind: 'postgres',
      key: 'workplace_id',
      every: 5000,
    });
    expect(source?.query).toMatch(/FROM workplaces w/);
    expect(parseBoards(config.boards, 'examples/mes/andon.yaml').map((b) => b.name)).toEqual([
      'hall',
    ]);
  });
});
