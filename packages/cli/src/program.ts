// The `vdxp` command line as a commander program that runs in-process: runCli(argv, io) returns the exit
// code, with all output on the given streams, so tests drive it like a user without spawning a process.

import { Command, CommanderError } from 'commander';
import { isEdxmlError } from '@vdxp/edxml';
import { registerAgency } from './commands/agency.ts';
import { registerArchive } from './commands/archive.ts';
import { registerAudit } from './commands/audit.ts';
import { registerBuild } from './commands/build.ts';
import { registerCalendar } from './commands/calendar.ts';
import { registerConformance } from './commands/conformance.ts';
import { registerConnect } from './commands/connect.ts';
import { registerExchange } from './commands/exchange.ts';
import { registerInspect } from './commands/inspect.ts';
import { registerServe } from './commands/serve.ts';
import { registerSimulate } from './commands/simulate.ts';
import { registerStore } from './commands/store.ts';
import { registerSystem } from './commands/system.ts';
import { registerUser } from './commands/user.ts';
import { registerValidate } from './commands/validate.ts';
import { CliError, EXIT_CODES, createContext, type CliContext, type CliIo, type ExitCode } from './context.ts';

/** One function per command group, each in its own file under commands/, called in this order for --help. */
export type CommandRegistrar = (program: Command, ctx: CliContext) => void;

export const COMMANDS: readonly CommandRegistrar[] = [
  registerInspect,
  registerValidate,
  registerBuild,
  // Hub operation: one file each in commands/.
  registerServe,
  registerAgency,
  registerSystem,
  registerUser,
  registerCalendar,
  registerAudit,
  registerArchive,
  registerStore,
  // An agency's side, over the native API: one file each.
  registerExchange,
  registerConnect,
  // The agency side.
  registerSimulate,
  registerConformance,
];

export function createProgram(ctx: CliContext, commands: readonly CommandRegistrar[] = COMMANDS): Command {
  const program = new Command('vdxp')
    .description('vdxp — trục liên thông văn bản mở / an open document-exchange axis (edXML, QCVN 102:2016)')
    // Settings first: commands created afterwards inherit them.
    .exitOverride()
    .configureOutput({ writeOut: (s) => { ctx.stdout.write(s); }, writeErr: (s) => { ctx.stderr.write(s); } })
    .showHelpAfterError('(vdxp --help: các lệnh / the commands)')
    .helpCommand(true);
  for (const register of commands) register(program, ctx);
  return program;
}

/** Runs one command line (arguments after the program name) and returns its exit code. Never exits the process. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const ctx = createContext(io);
  const program = createProgram(ctx);
  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return EXIT_CODES.usage;
    }
    await program.parseAsync(argv, { from: 'user' });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    if (e instanceof CliError) {
      ctx.err(`vdxp: ${e.message}`);
      return e.exitCode;
    }
    if (isEdxmlError(e)) {
      ctx.err(`vdxp: ${e.code}${e.path === undefined ? '' : ` at ${e.path}`}: ${e.message}`);
      return EXIT_CODES.failed;
    }
    throw e;
  }
}
