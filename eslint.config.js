import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'reports/', 'dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearInterval: 'readonly',
        setInterval: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Only the CLI entry point ends the process.
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'exit', message: 'only harness/cli/main.ts exits' },
      ],
    },
  },
  {
    // zx: a command run for its effect is a tagged template on its own line.
    files: ['scripts/**/*.mjs'],
    rules: { '@typescript-eslint/no-unused-expressions': ['error', { allowTaggedTemplates: true }] },
  },
  {
    files: ['harness/cli/main.ts', 'harness/engine/reaper.mjs'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // One engine boundary: only harness/engine/ talks to the engine client.
    files: ['harness/**/*.ts', 'harness/**/*.mjs', 'suites/**/*.ts'],
    ignores: ['harness/engine/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'dockerode', message: 'only harness/engine/ imports the engine client' },
            { name: 'testcontainers', message: 'only harness/engine/ imports testcontainers' },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[property.name='docker']",
          message: 'the engine client stays inside harness/engine/: use its narrow clients',
        },
      ],
    },
  },
  {
    // The GenericContainer adapter is tested against testcontainers' own class (built, never started).
    files: ['suites/unit/testcontainers.test.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
