// Where the optional extra corpus of real packets is: the folder VDXP_EXTRA_CORPUS names, else ../shared/samples/edxml/
// beside the repository when it is there. Without it the list is empty: the suite is whole with the project's own
// examples (packages/edxml/examples/), and a clone with nothing beside it passes.

import { existsSync, readdirSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const env = process.env['VDXP_EXTRA_CORPUS'];
export const EXTRA_CORPUS_DIR = env !== undefined && env !== '' ? pathToFileURL(env.endsWith('/') ? env : `${env}/`)
  : new URL('../../../../shared/samples/edxml/', import.meta.url);

/** The corpus's .edxml file names, sorted; empty when the folder is not there. */
export const EXTRA_CORPUS_FILES: readonly string[] = existsSync(EXTRA_CORPUS_DIR)
  ? readdirSync(EXTRA_CORPUS_DIR).filter((f) => f.endsWith('.edxml')).sort() : [];
