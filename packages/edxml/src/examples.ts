// Where the example packets shipped with this package are (packages/edxml/examples/): what `vdxp inspect`
// shows with no file, and the tests' fixtures. Written by the project (scripts/examples/make.ts), fictional parties.

export const EXAMPLES_DIR = new URL('../examples/', import.meta.url);
