/** A `zkinfer` subcommand: its name, a one-line summary, and a runner returning the exit code. */
export interface Command {
  name: string;
  summary: string;
  run(args: string[]): Promise<number>;
}
