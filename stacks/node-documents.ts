import { Token } from "cdktf";
import { type NodeConfig, renderCloudConfig, renderNoCloudMetaData, renderNoCloudNetworkConfig } from "../cloud-init";
import type { NoCloudSeed } from "../constructs/primary-node";
import type { Estate } from "../estate";
import { seedNetwork } from "./node-configuration";

/** A node's #cloud-config; the cdktf tokens in it (secrets, addresses) are left for Terraform to fill in. */
export function renderUserData(config: NodeConfig, compressFiles: boolean): string {
  return renderCloudConfig(config, { compressFiles, isDeployTimeValue: (text) => Token.isUnresolved(text) });
}

/** The bare-metal primary's NoCloud seed, network-config only when the description gives its network. */
export function primarySeed(config: NodeConfig, primary: Estate["primary"]): NoCloudSeed {
  const network = seedNetwork(primary);
  return {
    // The seed has no size limit: plain files, readable by the operator who installs it.
    "user-data": renderUserData(config, false),
    "meta-data": renderNoCloudMetaData(config),
    ...(network ? { "network-config": renderNoCloudNetworkConfig(network) } : {}),
  };
}
