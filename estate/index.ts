export * from "./schema";
export * from "./load";
export * from "./provider-catalog";
export * from "./firewall-rules";
