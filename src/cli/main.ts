#!/usr/bin/env node
/**
 * The `zkinfer` command. Each subcommand lives in its own module under `./commands/` and is
 * registered in COMMANDS below; the dispatcher only parses the subcommand name.
 */
import { demoCommand } from './commands/demo.js';
import { compileCommand } from './commands/compile.js';
import { runCommand } from './commands/run.js';
import { inspectCommand } from './commands/inspect.js';
import { commitCommand } from './commands/commit.js';
import { proveCommand } from './commands/prove.js';
import { verifyCommand } from './commands/verify.js';
import { serveCommand } from './commands/serve.js';
import { workerCommand } from './commands/worker.js';
import { clientCommand } from './commands/client.js';
import { marketCommand } from './commands/market.js';
import type { Command } from './command.js';

const COMMANDS: Command[] = [demoCommand, compileCommand, runCommand, commitCommand, proveCommand, verifyCommand, inspectCommand, serveCommand, workerCommand, clientCommand, marketCommand];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `zkinfer — verifiable AI inference\n\nUsage: zkinfer <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun 'zkinfer <command> --help' for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 1 : 0;
  }
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    console.error(`zkinfer: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return cmd.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`zkinfer: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
