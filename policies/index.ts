export * from "./failover-ttl";
export * from "./no-world-open-ports";
export * from "./prevent-destroy";
export * from "./first-boot-only";
export * from "./estate-policies";
