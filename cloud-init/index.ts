export * from "./node-config";
export * from "./cloud-config";
export * from "./files";
export * from "./render";
export * from "./node-paths";
