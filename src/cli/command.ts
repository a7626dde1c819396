/** A `zkinfer` subcommand: its name and a runner returning the exit code (its summary is in `main.ts`). */
export interface Command {
  name: string;
  run(args: string[]): Promise<number>;
}
