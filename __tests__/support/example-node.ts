export { exampleNodeConfig } from "../../tools/example-node-config";
export { makeTestCertificates, makeTestCertificatesFor } from "../../tools/test-certificates";
export type { TestCertificates } from "../../tools/test-certificates";
