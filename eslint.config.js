// Type-aware lint: a floating promise in the hub is a delivery that can be lost, so those rules are errors.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', 'data/', '**/*.js', '!eslint.config.js'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // Store engines implement one async interface; the SQLite engine is synchronous underneath.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Harness code (test kit, crash server, protocol test client) lives in packages/*/test-support/; the
    // product must never load it, so only tests, test-support itself and scripts may import from there.
    files: ['packages/*/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/*.contract.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/test-support/**'], message: 'product code must not import test-support (harness code).' }] }],
    },
  },
  // Plain JavaScript kept so on purpose (blob-io-worker.mjs: a worker that loads .ts pays for the type stripper):
  // linted, without types.
  { files: ['eslint.config.js', '**/*.mjs'], extends: [tseslint.configs.disableTypeChecked] },
);
