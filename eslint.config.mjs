// ESLint over the TypeScript sources, tests and benchmarks (run by .ci/run via `npm run lint`).
// Formatting is Prettier's (.prettierrc.json, checked by `npm run lint`, applied by `npm run format`); these rules are about correctness.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'build/**', 'node_modules/**', 'web/**', 'scripts/**', 'native/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // Tensor handles and typed-array indexing make non-null assertions and a few `any`s at the FFI edge routine.
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
);
