// Hardening as the rendered user-data ships it: the sshd drop-in checked and evaluated by the real sshd,
// the unattended-upgrades switch parsed by apt itself.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { nodePaths, renderCloudConfig } from "../../cloud-init";
import { renderSshdDropIn } from "../../cloud-init/pieces/hardening";
import { exampleNodeConfig } from "../support/example-node";
import { parseCloudConfig, renderedFile } from "../support/rendered-files";

const sshd = "/usr/sbin/sshd";
const dropInDirectory = "/etc/ssh/sshd_config.d";
const document = renderCloudConfig(exampleNodeConfig("standby"));

let workDir: string;
let hostKey: string;
let sshdConfig: string;
let createdPrivsepDir = false;

/**
 * sshd -t and -T insist on its privilege separation directory (/run/sshd, made by the service at
 * start, absent on a machine without systemd). Give it a private /run in a mount namespace when we
 * can, else create the directory and remove it afterwards.
 */
function runSshd(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const command = fs.existsSync("/run/sshd") || createdPrivsepDir
    ? [sshd, ...args]
    : ["unshare", "-m", "sh", "-c", 'mount -t tmpfs -o mode=0755 tmpfs /run && mkdir -m 0755 /run/sshd && exec "$@"', "sh", sshd, ...args];
  const result = spawnSync(command[0], command.slice(1), { encoding: "utf8" });
  if (command[0] === "unshare" && /unshare|mount:/.test(result.stderr) && result.status !== 0) {
    fs.mkdirSync("/run/sshd", { mode: 0o755 });
    createdPrivsepDir = true;
    return runSshd(...args);
  }
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "dr-estate-hardening-"));
  const includeDir = path.join(workDir, "sshd_config.d");
  fs.mkdirSync(includeDir);

  // The drop-in as shipped, under the name it ships with, pointing at a host key of the test's own.
  const dropIn = parseCloudConfig(document).write_files.find((file) => file.path.startsWith(`${dropInDirectory}/`));
  expect(dropIn).toBeDefined();
  hostKey = path.join(workDir, "ssh_host_ed25519_key");
  expect(renderedFile(document, dropIn!.path)).toBe(renderSshdDropIn(nodePaths.sshHostKey));
  fs.writeFileSync(path.join(includeDir, path.basename(dropIn!.path)), renderSshdDropIn(hostKey));
  // What a cloud image may bring along: cloud-init's own drop-in allowing passwords.
  fs.writeFileSync(path.join(includeDir, "50-cloud-init.conf"), "PasswordAuthentication yes\nPermitRootLogin yes\n");

  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-f", hostKey, "-N", ""], { stdio: "pipe" });

  // Debian's own sshd_config (Include at the top), pointed at our drop-in folder; then main-file
  // settings that the drop-in must override.
  const debianMain = fs.existsSync("/etc/ssh/sshd_config")
    ? fs.readFileSync("/etc/ssh/sshd_config", "utf8")
    : `Include ${dropInDirectory}/*.conf\nUsePAM yes\n`;
  expect(debianMain).toContain(`Include ${dropInDirectory}/*.conf`);
  sshdConfig = path.join(workDir, "sshd_config");
  fs.writeFileSync(
    sshdConfig,
    debianMain.replace(`Include ${dropInDirectory}/*.conf`, `Include ${includeDir}/*.conf`) +
      `\nPasswordAuthentication yes\nPermitRootLogin yes\nKbdInteractiveAuthentication yes\n`,
  );
});

afterAll(() => {
  fs.rmSync(workDir, { recursive: true, force: true });
  if (createdPrivsepDir) {
    fs.rmdirSync("/run/sshd");
  }
});

describe("sshd drop-in", () => {
  it("is accepted by sshd -t", () => {
    const check = runSshd("-t", "-f", sshdConfig);
    expect(check.stderr).toBe("");
    expect(check.status).toBe(0);
  });

  it("makes keys the only way in, whatever the main file and the image's drop-ins say", () => {
    const effective = runSshd("-T", "-f", sshdConfig);
    expect(effective.status).toBe(0);
    const settings = new Map(
      effective.stdout.trim().split("\n").map((line) => {
        const [key, ...value] = line.split(" ");
        return [key, value.join(" ")] as const;
      }),
    );
    expect(settings.get("passwordauthentication")).toBe("no");
    expect(settings.get("permitrootlogin")).toBe("no");
    expect(settings.get("kbdinteractiveauthentication")).toBe("no");
    expect(settings.get("pubkeyauthentication")).toBe("yes");
    expect(settings.get("authenticationmethods")).toBe("publickey");
    expect(settings.get("allowusers")).toBe("ops");
    expect(settings.get("x11forwarding")).toBe("no");
    expect(settings.get("maxauthtries")).toBe("3");
  });

  it("serves only the host key Terraform generated, which the document installs", () => {
    const hostKeys = runSshd("-T", "-f", sshdConfig).stdout.split("\n").filter((line) => line.startsWith("hostkey "));
    expect(hostKeys).toEqual([`hostkey ${hostKey}`]);
    const installed = parseCloudConfig(document).write_files.find((file) => file.path === nodePaths.sshHostKey)!;
    expect(installed.permissions).toBe("0600");
    expect(renderedFile(document, `${nodePaths.sshHostKey}.pub`)).toMatch(/^ssh-ed25519 \S+\n$/);
  });

  it("is reloaded after it is written", () => {
    expect(parseCloudConfig(document).runcmd).toContain("systemctl reload ssh || systemctl reload sshd");
  });
});

describe("unattended upgrades", () => {
  it("is switched on in a file apt parses", () => {
    const file = path.join(workDir, "20auto-upgrades");
    fs.writeFileSync(file, renderedFile(document, "/etc/apt/apt.conf.d/20auto-upgrades"));
    const dump = execFileSync("apt-config", ["-c", file, "dump", "APT::Periodic"], { encoding: "utf8" });
    expect(dump).toContain('APT::Periodic::Update-Package-Lists "1";');
    expect(dump).toContain('APT::Periodic::Unattended-Upgrade "1";');
    expect(parseCloudConfig(document).packages).toContain("unattended-upgrades");
  });
});

describe("other users' processes hidden in /proc", () => {
  const script = `${nodePaths.scripts}/proc-hidepid.sh`;
  const run = (fstab: string) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dr-estate-hidepid-"));
    fs.writeFileSync(path.join(dir, "proc-hidepid.sh"), renderedFile(document, script));
    fs.writeFileSync(path.join(dir, "fstab"), fstab);
    // A proc of its own (new PID and mount namespaces), so the host's /proc is never remounted. A
    // root process is looked for by uid 65534 before and after the script, and by root after.
    const probe = `sleep 30 & pid=$!
      seen() { "$@" sh -c "if test -e /proc/$pid; then echo visible; else echo hidden; fi"; }
      before=$(seen setpriv --reuid=65534 --regid=65534 --clear-groups)
      FSTAB=${dir}/fstab sh ${dir}/proc-hidepid.sh
      echo "$before $(seen setpriv --reuid=65534 --regid=65534 --clear-groups) $(seen env)"; kill $pid`;
    const result = spawnSync("unshare", ["--mount", "--pid", "--fork", "--mount-proc", "bash", "-c", probe], { encoding: "utf8" });
    const written = fs.readFileSync(path.join(dir, "fstab"), "utf8");
    fs.rmSync(dir, { recursive: true, force: true });
    return { status: result.status, stderr: result.stderr, seen: result.stdout.trim(), fstab: written };
  };

  it("is run at first boot", () => {
    expect(parseCloudConfig(document).runcmd).toContain(script);
  });

  it("hides a root process from another user at once, not from root, and keeps it in fstab", () => {
    const result = run("UUID=0a1b / ext4 defaults 0 1\n");
    expect(result.stderr).toBe("");
    expect(result.seen).toBe("visible hidden visible");
    expect(result.fstab).toBe("UUID=0a1b / ext4 defaults 0 1\nproc /proc proc defaults,hidepid=2 0 0\n");
  });

  it("replaces the options of an fstab proc line instead of adding a second", () => {
    const result = run("proc /proc proc defaults 0 0\nUUID=0a1b / ext4 defaults 0 1\n");
    expect(result.seen).toBe("visible hidden visible");
    expect(result.fstab).toBe("proc /proc proc defaults,hidepid=2 0 0\nUUID=0a1b / ext4 defaults 0 1\n");
  });
});
