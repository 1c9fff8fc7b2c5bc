// make lint: the app (web/) and its tests (tests/web/). Modest rules: the
// mistakes a reviewer would otherwise have to catch by eye.
import globals from 'globals';

export default [
  {ignores: ['**/node_modules/**', 'build/**']},
  {
    files: ['web/**/*.js', 'web/**/*.mjs', 'tests/web/**/*.mjs', 'tests/web/**/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: {...globals.browser, ...globals.node},
    },
    rules: {
      'no-unused-vars': ['error', {args: 'none', caughtErrors: 'none'}],
      'no-undef': 'error',
      eqeqeq: ['error', 'always'],
      'prefer-const': 'error',
    },
  },
];
