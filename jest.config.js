// TypeScript is pinned to 5.9 in package.json: the npm `typescript` 7.x line has no JavaScript API,
// and ts-jest / ts-node need one. isolatedModules keeps ts-jest to transpiling (type checking is
// `npm run typecheck`), which keeps the suite fast on small machines.
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/__tests__"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { isolatedModules: true }] },
  setupFilesAfterEnv: ["<rootDir>/__tests__/setup.ts"],
  testTimeout: 120000,
};
