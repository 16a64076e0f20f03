import { setupJest } from "cdktf/lib/testing/adapters/jest";

// Registers cdktf's Testing matchers (toHaveResource, toHaveResourceWithProperties, ...).
setupJest();
