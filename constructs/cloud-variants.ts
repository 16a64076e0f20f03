import { DigitaloceanProvider } from "@cdktf/provider-digitalocean/lib/provider";
import { Construct } from "constructs";
import { HcloudProvider } from "../.gen/providers/hcloud/provider";
import type { CloudProvider } from "../estate/provider-catalog";
import type { CloudNode, CloudNodeProps } from "./cloud-node";
import { DigitalOceanNode, registerDigitalOceanSshKeys } from "./digitalocean-node";
import { HetznerNode, registerHetznerSshKeys } from "./hetzner-node";

/** Everything that differs between the cloud providers, chosen here and nowhere else. */
export interface CloudVariant {
  /**
   * Configures the provider; credentials come from the environment (HCLOUD_TOKEN; DIGITALOCEAN_TOKEN,
   * plus SPACES_ACCESS_KEY_ID / SPACES_SECRET_ACCESS_KEY when the off-site bucket is on Spaces).
   */
  configureProvider(scope: Construct): void;
  registerSshKeys(scope: Construct, estateName: string, publicKeys: readonly string[]): string[];
  createNode(scope: Construct, id: string, props: CloudNodeProps): CloudNode;
}

export const cloudVariants: Record<CloudProvider, CloudVariant> = {
  hetzner: {
    configureProvider: (scope) => new HcloudProvider(scope, "hcloud"),
    registerSshKeys: registerHetznerSshKeys,
    createNode: (scope, id, props) => new HetznerNode(scope, id, props),
  },
  digitalocean: {
    configureProvider: (scope) => new DigitaloceanProvider(scope, "digitalocean"),
    registerSshKeys: registerDigitalOceanSshKeys,
    createNode: (scope, id, props) => new DigitalOceanNode(scope, id, props),
  },
};
