import * as net from "node:net";
import { z } from "zod";
import {
  CloudProvider,
  cloudProviders,
  discontinuedSizesByProvider,
  locationsByProvider,
  operatingSystems,
  postgresPackages,
  postgresSource,
  sizePatternByProvider,
  objectStorageLocations,
  spacesRegions,
} from "./provider-catalog";

/** The estate's three nodes; also the names of their DNS records, which service hostnames may not take. */
export const nodeRoles = ["primary", "standby", "witness"] as const;
export type NodeRole = (typeof nodeRoles)[number];

const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be a lowercase DNS label (a-z, 0-9, '-', at most 63 characters)");

const domainName = z
  .string()
  .regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be a lowercase domain name such as example.com");

const cloudflareId = z.string().regex(/^[0-9a-f]{32}$/, "must be a 32-character lowercase hex Cloudflare id");

const nonPublicIpv4 = new net.BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["169.254.0.0", 16],
  ["172.16.0.0", 12], ["192.168.0.0", 16], ["224.0.0.0", 4], ["240.0.0.0", 4],
] as const) {
  nonPublicIpv4.addSubnet(network, prefix, "ipv4");
}

const publicIpv4 = z
  .ipv4({ message: "must be an IPv4 address such as 203.0.113.10" })
  .refine((ip) => !nonPublicIpv4.check(ip, "ipv4"), "must be a public IPv4 address (not private, loopback, link-local or multicast)");

const publicIpv6 = z
  .ipv6({ message: "must be an IPv6 address such as 2001:db8::10" })
  .refine((ip) => !/^(::1?$|fe80:|fc|fd|ff)/i.test(ip), "must be a global IPv6 address (not loopback, link-local, unique-local or multicast)");

const minimumAdminPrefix = { ipv4: 8, ipv6: 16 } as const;
const adminCidr = z.union([z.cidrv4(), z.cidrv6()], { message: "must be a CIDR such as 198.51.100.0/24 or 2001:db8::/48" })
  .superRefine((cidr, ctx) => {
    const prefix = Number(cidr.split("/")[1]);
    const family = cidr.includes(":") ? "ipv6" : "ipv4";
    if (prefix === 0) {
      ctx.addIssue({ code: "custom", message: "must not open SSH to the whole internet (/0); list your admin networks" });
    } else if (prefix < minimumAdminPrefix[family]) {
      ctx.addIssue({ code: "custom", message: `is too broad for SSH: use a prefix of /${minimumAdminPrefix[family]} or longer` });
    }
  });

const sshPublicKey = z
  .string()
  .trim()
  .regex(
    /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/]+={0,3}( \S.*)?$/,
    "must be an OpenSSH public key line (ssh-ed25519, ssh-rsa or ecdsa-sha2-*, then the base64 key)",
  );

const placement = {
  provider: z.enum(cloudProviders, { message: `must be one of: ${cloudProviders.join(", ")}` }),
  location: z.string(),
  size: z.string(),
};

/** Checks a cloud server's location and size against its provider's catalogue. */
function checkPlacement(server: { provider: CloudProvider; location: string; size: string }, ctx: z.RefinementCtx) {
  const locations = locationsByProvider[server.provider];
  if (!locations.includes(server.location)) {
    ctx.addIssue({ code: "custom", path: ["location"], message: `unknown ${server.provider} location; allowed: ${locations.join(", ")}` });
  }
  const size = sizePatternByProvider[server.provider];
  const successor = discontinuedSizesByProvider[server.provider][server.size];
  if (!size.pattern.test(server.size)) {
    ctx.addIssue({ code: "custom", path: ["size"], message: `is not a ${server.provider} server size (for example ${size.example})` });
  } else if (successor) {
    ctx.addIssue({ code: "custom", path: ["size"], message: `${server.size} can no longer be ordered from ${server.provider}, so this server could not be rebuilt; use ${successor} or another current size` });
  }
}

const loopbackHost = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;
const stateEndpoint = z
  .url({ protocol: /^https?$/, message: "must be the https:// URL of an S3-compatible endpoint" })
  .refine((url) => url.startsWith("https://") || loopbackHost.test(new URL(url).hostname), "must use https:// (plain http only for a loopback test server)");

/** Where Terraform state lives: never on a server of the estate, or losing that server loses the state. */
const stateBackend = z.discriminatedUnion("backend", [
  z.object({ backend: z.literal("local") }).strict(),
  z
    .object({
      backend: z.literal("s3"),
      bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be an S3 bucket name (3-63 characters of a-z, 0-9, '.', '-')"),
      key: z.string().regex(/^[A-Za-z0-9!_.*'()/-]+\.tfstate$/, "must be an object key ending in .tfstate").optional(),
      region: z.string().min(1).default("us-east-1"),
      endpoint: stateEndpoint,
      /** OpenTofu's client-side state encryption, passphrase from TF_VAR_state_encryption_passphrase. */
      encryption: z.enum(["none", "opentofu"], { message: "must be none or opentofu" }).default("none"),
    })
    .strict(),
], { message: "backend must be local or s3" });

const offsiteRetentionDays = z.number().int().min(7).max(3650).default(90);

/** Where the off-site copy of the backups lives; neither need share a vendor with the standby. */
const offsiteBackups = z.discriminatedUnion("provider", [
  z
    .object({
      provider: z.literal("digitalocean"),
      region: z.enum(spacesRegions, { message: `must be a DigitalOcean Spaces region: ${spacesRegions.join(", ")}` }),
      retentionDays: offsiteRetentionDays,
    })
    .strict(),
  z
    .object({
      provider: z.literal("hetzner"),
      region: z.enum(objectStorageLocations, { message: `must be a Hetzner Object Storage location: ${objectStorageLocations.join(", ")}` }),
      bucket: z.string().regex(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, "must be the name of the bucket you created in the Hetzner console (3-63 characters of a-z, 0-9, '-')"),
      /** Default: the location's endpoint, such as fsn1.your-objectstorage.com. */
      endpoint: z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, "must be a host name such as fsn1.your-objectstorage.com, without https://").optional(),
      retentionDays: offsiteRetentionDays,
    })
    .strict(),
], { message: "provider must be digitalocean (Spaces) or hetzner (Object Storage)" });

/**
 * How the bare-metal primary's first boot reaches the network (its seed's network-config). With no
 * gateway4 the interface takes DHCP; with one, the primary's own addresses are set statically.
 * Without this block the seed has no network-config and cloud-init takes DHCP on the first NIC.
 */
const seedNetwork = z
  .object({
    interface: z.string().regex(/^[A-Za-z0-9*?._-]{1,15}$/, "must be an interface name such as eno1 (or, on Ubuntu, a glob such as en*)"),
    gateway4: z.ipv4({ message: "must be an IPv4 address such as 203.0.113.1" }).optional(),
    prefixLength: z.number().int().min(8, "must be 8-32").max(32, "must be 8-32").default(24),
    gateway6: z.ipv6({ message: "must be an IPv6 address such as fe80::1" }).optional(),
    ipv6PrefixLength: z.number().int().min(16, "must be 16-128").max(128, "must be 16-128").default(64),
    nameservers: z.array(z.union([z.ipv4(), z.ipv6()], { message: "must be an IPv4 or IPv6 address" })).min(1).default(["1.1.1.1", "9.9.9.9"]),
  })
  .strict()
  .optional();

/** A static gateway must sit in the primary's own subnet, or the first boot has no route out. */
function checkGatewaysOnLink(primary: { ipv4: string; ipv6?: string; network?: z.output<typeof seedNetwork> }, ctx: z.RefinementCtx) {
  if (primary.network === undefined) {
    return;
  }
  const { gateway4, gateway6, prefixLength } = primary.network;
  if (gateway4 !== undefined) {
    const subnet = new net.BlockList();
    subnet.addSubnet(primary.ipv4, prefixLength, "ipv4");
    if (!subnet.check(gateway4, "ipv4")) {
      ctx.addIssue({ code: "custom", path: ["network", "gateway4"], message: `must be inside ${primary.ipv4}/${prefixLength}, the primary's subnet` });
    }
  }
  if (gateway6 !== undefined && primary.ipv6 === undefined) {
    ctx.addIssue({ code: "custom", path: ["network", "gateway6"], message: "needs primary.ipv6" });
  }
  if (gateway6 !== undefined && gateway4 === undefined) {
    ctx.addIssue({ code: "custom", path: ["network", "gateway4"], message: "is required with gateway6: static addressing needs both" });
  }
}

/** Service hostnames must be unique and must not take a node record's name. */
function checkHostnamesDistinct(hostnames: string[], ctx: z.RefinementCtx) {
  hostnames.forEach((hostname, index) => {
    if (hostnames.indexOf(hostname) !== index) {
      ctx.addIssue({ code: "custom", path: [index], message: `"${hostname}" is listed twice` });
    }
    if ((nodeRoles as readonly string[]).includes(hostname)) {
      ctx.addIssue({ code: "custom", path: [index], message: `"${hostname}" is reserved for a node record (${nodeRoles.join(", ")})` });
    }
  });
}

function checkStreamsDistinct(streams: string[], ctx: z.RefinementCtx) {
  streams.forEach((stream, index) => {
    if (streams.indexOf(stream) !== index) {
      ctx.addIssue({ code: "custom", path: [index], message: `"${stream}" is listed twice` });
    }
  });
}

export const estateSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{1,30}[a-z0-9]$/, "must be 3-32 characters of a-z, 0-9 and '-', starting with a letter"),
    domain: domainName,
    /** What every node runs, the bare-metal primary included. */
    os: z.enum(operatingSystems, { message: `must be one of: ${operatingSystems.join(", ")}` }).default("ubuntu-24.04"),
    cloudflare: z.object({ zoneId: cloudflareId, accountId: cloudflareId }).strict(),
    dns: z
      .object({
        ttl: z.number().int().min(30, "must be at least 30 seconds").max(60, "must be at most 60 seconds so failover reaches clients within a minute").default(60),
        healthCheckIntervalSeconds: z.number().int().min(10).max(3600).default(60),
        /**
         * The data node that last held the writable database. The clients' hard-coded DNS fallback
         * lists its address first; set it to standby after a failover that lasts, and deploy.
         */
        lastKnownPrimary: z.enum(["primary", "standby"], { message: "must be primary or standby: the data node that last held the writable database" }).default("primary"),
      })
      .strict()
      .default({ ttl: 60, healthCheckIntervalSeconds: 60, lastKnownPrimary: "primary" }),
    primary: z
      .object({
        ipv4: publicIpv4,
        ipv6: publicIpv6.optional(),
        location: z.string().min(1).default("bare-metal"),
        network: seedNetwork,
      })
      .strict()
      .superRefine(checkGatewaysOnLink),
    hostnames: z
      .array(dnsLabel)
      .min(1, "must list at least one service hostname (api, stream, cdn...)")
      .superRefine(checkHostnamesDistinct),
    /**
     * The live streams the data nodes accept: each is published with a key of its own that Terraform
     * generates (output stream-keys), and watched under its name alone: /hls/<name>.m3u8.
     */
    streams: z
      .array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "must be 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit"))
      .min(1, "must list at least one stream name")
      .superRefine(checkStreamsDistinct)
      .default(["main"]),
    standby: z
      .object({ ...placement, volumeSizeGb: z.number().int().min(10).max(10240).default(100) })
      .strict()
      .superRefine(checkPlacement),
    witness: z.object(placement).strict().superRefine(checkPlacement),
    ssh: z
      .object({
        publicKeys: z.array(sshPublicKey).min(1, "must list at least one SSH public key: password login is disabled on every node"),
        adminCidrs: z.array(adminCidr).min(1, "must list at least one admin network allowed to reach SSH"),
      })
      .strict(),
    postgres: z
      .object({
        majorVersion: z.number().int().min(9).max(99).default(16),
        database: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lowercase PostgreSQL identifier").default("app"),
        synchronousReplication: z.boolean().default(false),
      })
      .strict()
      .default({ majorVersion: 16, database: "app", synchronousReplication: false }),
    backups: z
      .object({
        hourlyRetentionHours: z.number().int().min(1).max(24 * 14).default(48),
        dailyRetentionDays: z.number().int().min(1).max(366).default(30),
        weeklyRetentionWeeks: z.number().int().min(1).max(520).default(12),
        /**
         * An encrypted off-site copy of the pgBackRest repository: in a Spaces bucket the stack
         * creates, or in a Hetzner Object Storage bucket made in the Hetzner console (the hcloud
         * provider has no bucket resource), whose key comes from Terraform variables. Default: none.
         */
        offsite: offsiteBackups.optional(),
      })
      .strict()
      .default({ hourlyRetentionHours: 48, dailyRetentionDays: 30, weeklyRetentionWeeks: 12 }),
    state: stateBackend.default({ backend: "local" }),
    alerts: z
      .object({
        webhookUrl: z.url({ protocol: /^https$/, message: "must be an https:// URL" }),
        /** PEM of the CA that signed the webhook's certificate, for a receiver with a private CA. Default: the system's CAs. */
        webhookCaCertificate: z
          .string()
          .regex(/^-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n?$/, "must be one PEM certificate (-----BEGIN CERTIFICATE----- ...)")
          .optional(),
        /** The ping URL of a dead-man's-switch service (healthchecks.io, Dead Man's Snitch, ...) that alerts when the Watchdog stops arriving. Default: none. */
        deadMansSwitchUrl: z.url({ protocol: /^https$/, message: "must be an https:// URL: the ping address your dead-man's-switch service gives you" }).optional(),
      })
      .strict(),
  })
  .strict()
  .superRefine((estate, ctx) => {
    if (estate.state.backend === "s3") {
      const stateHost = new URL(estate.state.endpoint).hostname;
      const estateHosts = [estate.primary.ipv4, ...nodeRoles.map((node) => `${node}.${estate.domain}`)];
      if (estateHosts.includes(stateHost)) {
        ctx.addIssue({ code: "custom", path: ["state", "endpoint"], message: "must not be a server of the estate: state has to survive the loss of any of them" });
      }
    }
    if (estate.os === "debian-12" && /[*?]/.test(estate.primary.network?.interface ?? "")) {
      ctx.addIssue({
        code: "custom",
        path: ["primary", "network", "interface"],
        message: "must be the interface's own name on debian-12: its cloud-init (22.4) renders networkd files that match by name only",
      });
    }
    if (postgresSource(estate.os, estate.postgres.majorVersion) === undefined) {
      const { distribution, pgdg } = postgresPackages[estate.os];
      ctx.addIssue({
        code: "custom",
        path: ["postgres", "majorVersion"],
        message: `PostgreSQL ${estate.postgres.majorVersion} is not packaged for ${estate.os}; it ships ${distribution}, and the PostgreSQL project's repository builds ${pgdg.join(", ")}`,
      });
    }
    if (estate.standby.provider === estate.witness.provider && estate.standby.location === estate.witness.location) {
      ctx.addIssue({ code: "custom", path: ["witness", "location"], message: "must differ from the standby's location: the witness is the third failure domain" });
    }
  });


/** The estate description after validation, with every default filled in. */
export type Estate = z.output<typeof estateSchema>;
export type EstateInput = z.input<typeof estateSchema>;
