// TypeScript is pinned to 5.9 in package.json: the npm `typescript` 7.x line has no JavaScript API,
// and ts-jest / ts-node need one. tsconfig's isolatedModules makes ts-jest transpile only (type
// checking is `npm run typecheck`, part of `npm test`), which keeps the suite fast on small machines.
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": "ts-jest" },
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  testTimeout: 180000,
};
