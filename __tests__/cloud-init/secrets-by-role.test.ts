// Each role's document carries exactly the secrets its own scripts read: the secrets found in the
// rendered document are compared with the secret variables the scripts it installs refer to.
import { decodeWriteFile, NodeRole, nodePaths, renderCloudConfig } from "../../cloud-init";
import { secretsByRole } from "../../cloud-init/pieces/estate-settings";
import { exampleNodeConfig } from "../support/example-node";
import { parseCloudConfig } from "../support/rendered-files";

const secretNames = ["REPLICATION_PASSWORD", "FAILOVER_MONITOR_PASSWORD", "NATS_PASSWORD"] as const;

function secretValues(role: NodeRole): Record<(typeof secretNames)[number], string> {
  const { secrets } = exampleNodeConfig(role);
  return { REPLICATION_PASSWORD: secrets.replicationPassword, FAILOVER_MONITOR_PASSWORD: secrets.failoverMonitorPassword, NATS_PASSWORD: secrets.natsPassword };
}

/** Which secrets a document holds anywhere (files, commands), and which its installed scripts read. */
function secretsOf(role: NodeRole): { delivered: string[]; read: string[] } {
  const document = parseCloudConfig(renderCloudConfig(exampleNodeConfig(role)));
  const contents = document.write_files.map((file) => ({ path: file.path, text: decodeWriteFile(file) }));
  const everything = [...contents.map((file) => file.text), ...document.runcmd].join("\n");
  const values = secretValues(role);
  const delivered = secretNames.filter((name) => everything.includes(values[name]));
  const scripts = contents.filter((file) => file.path.startsWith(`${nodePaths.scripts}/`)).map((file) => file.text).join("\n");
  const read = secretNames.filter((name) => new RegExp(`\\$\\{?${name}\\b`).test(scripts));
  return { delivered, read };
}

describe.each(["primary", "standby", "witness"] as NodeRole[])("the %s", (role) => {
  test("receives exactly the secrets its scripts read", () => {
    const { delivered, read } = secretsOf(role);
    expect(read.length).toBeGreaterThan(0);
    expect(delivered).toEqual(read);
    expect(delivered).toEqual([...secretsByRole[role]]);
  });
});

test("the witness gets no replication or NATS password", () => {
  expect(secretsOf("witness").delivered).toEqual(["FAILOVER_MONITOR_PASSWORD"]);
});
