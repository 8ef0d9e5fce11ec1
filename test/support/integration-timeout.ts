// Real servers and containers: allow for slow CI machines. (testTimeout is not a per-project option.)
jest.setTimeout(180_000);
