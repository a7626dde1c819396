#!/usr/bin/env node
/**
 * The `zkinfer` command. Each subcommand lives in its own module under `./commands/`, registered
 * in COMMANDS below with its one-line summary and loaded only when it runs: a cold
 * `zkinfer verify` then loads the verifier, not the HTTP server, the job store or the Redis
 * client (measured: the eager imports made it 2.6× slower than the library call on mlp-tiny).
 */
import type { Command } from './command.js';

interface Entry {
  name: string;
  summary: string;
  load(): Promise<Command>;
}

const COMMANDS: Entry[] = [
  { name: 'demo', summary: 'train a digit classifier, compile, commit, prove and verify one inference', load: async () => (await import('./commands/demo.js')).demoCommand },
  { name: 'compile', summary: 'quantize an ONNX model with calibration inputs into a .zkm file', load: async () => (await import('./commands/compile.js')).compileCommand },
  { name: 'run', summary: 'run bit-exact integer inference of a .zkm model on an input file', load: async () => (await import('./commands/run.js')).runCommand },
  { name: 'commit', summary: 'commit to a .zkm model once: print its model ID, write prover data (.zkc)', load: async () => (await import('./commands/commit.js')).commitCommand },
  { name: 'prove', summary: 'prove an inference of a committed model: output + receipt (.zkr)', load: async () => (await import('./commands/prove.js')).proveCommand },
  { name: 'verify', summary: 'verify a receipt against a pinned model ID (exit 0 valid, 1 invalid)', load: async () => (await import('./commands/verify.js')).verifyCommand },
  { name: 'inspect', summary: 'show a .zkm/.zkc model (layers, shapes, scales, bounds) or a .zkr receipt (JSON view)', load: async () => (await import('./commands/inspect.js')).inspectCommand },
  { name: 'serve', summary: 'serve a model over HTTP: every answer with its receipt', load: async () => (await import('./commands/serve.js')).serveCommand },
  { name: 'worker', summary: 'prove queued jobs from Redis for a `serve --redis` node', load: async () => (await import('./commands/worker.js')).workerCommand },
  { name: 'client', summary: 'ask a prover node for a verified inference (client infer)', load: async () => (await import('./commands/client.js')).clientCommand },
  { name: 'market', summary: 'proof-of-inference market: coordinator (serve) and agents (operator, request, auditor, challenger, status)', load: async () => (await import('./commands/market.js')).marketCommand },
];

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
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    console.error(`zkinfer: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  return (await entry.load()).run(rest);
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
