import type { Command } from '../command.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'commit a vector, open it at a random point, verify the opening',
  async run(): Promise<number> {
    throw new Error('demo: not implemented yet');
  },
};
