// Entry point of the `vdxp` command: runs the program on this process's arguments and streams.

import { runCli } from './program.ts';

// `vdxp inspect | head`: a reader that went away is not an error of ours; stop quietly.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code !== 'EPIPE') throw e;
  process.exit(process.exitCode ?? 0);
});

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout, stderr: process.stderr, now: () => new Date(), cwd: process.cwd(), env: process.env,
});
