// `npm run test:unit`: the tests that need neither root nor a running service, for the edit-test
// loop. They need Node and a few static checkers the CI installs (shellcheck, `cloud-init schema`,
// amtool check-config); the full suite of the README stays `npm test`. Left out, by test path:
const base = require("./jest.config");

const leftOut = [
  "/__tests__/lab/", // containers booted from the seeds (root, systemd-nspawn)
  "/__tests__/drill/failover-drill\\.test\\.ts$", // the failover drill (root, network namespaces, PostgreSQL)
  "/__tests__/drill/flaky-wan\\.test\\.ts$", // the flaky-WAN drill (root, network namespaces, PostgreSQL)
  "/__tests__/drill/media-drill\\.test\\.ts$", // media replication in the drill lab (root, network namespaces, sshd, PostgreSQL)
  "/__tests__/drill/corruption-drill\\.test\\.ts$", // point-in-time recovery in the drill lab (root, network namespaces, pgBackRest, PostgreSQL)
  "/__tests__/ci/", // the workflows with actionlint and OpenTofu (built tools)
  "/__tests__/deploy/", // plan and apply with OpenTofu (built tools)
  "/__tests__/seed/", // reads state with OpenTofu (built tools)
  "/__tests__/validate/", // OpenTofu init, validate and plan (built tools, provider stand-in)
  "/__tests__/stacks/state-backend\\.test\\.ts$", // OpenTofu against a MinIO bucket
  "/__tests__/cloud-init/backups\\.test\\.ts$", // pg_dump and pgBackRest against PostgreSQL
  "/__tests__/cloud-init/backups-offsite\\.test\\.ts$", // pgBackRest to MinIO
  "/__tests__/cloud-init/wal-archive-unreachable\\.test\\.ts$", // pgBackRest, MinIO, PostgreSQL, Prometheus
  "/__tests__/cloud-init/offsite-intruder\\.test\\.ts$", // pgBackRest to MinIO, PostgreSQL
  "/__tests__/cloud-init/estate-pitr\\.test\\.ts$", // pgBackRest and PostgreSQL (root)
  "/__tests__/cloud-init/failover-events\\.test\\.ts$", // PostgreSQL, runs as postgres (root)
  "/__tests__/cloud-init/hardening\\.test\\.ts$", // sshd in a namespace (root)
  "/__tests__/cloud-init/host-firewall\\.test\\.ts$", // nftables in network namespaces (root)
  "/__tests__/cloud-init/reserved-ip-egress\\.test\\.ts$", // routes in a network namespace (root)
  "/__tests__/cloud-init/rtmp-publish-auth\\.test\\.ts$", // nginx and ffmpeg in network namespaces (root)
  "/__tests__/cloud-init/monitoring\\.test\\.ts$", // PostgreSQL, promtool rules tests, exporters
  "/__tests__/cloud-init/nats\\.test\\.ts$", // nats-server
  "/__tests__/cloud-init/media-cold-copy\\.test\\.ts$", // rclone to MinIO (built tools), PostgreSQL (root)
  "/__tests__/cloud-init/media-replication\\.test\\.ts$", // sshd, rsync and PostgreSQL (root)
  "/__tests__/stacks/client-fallback-resolution\\.test\\.ts$", // a hosts file bind-mounted in a mount namespace (root)
  "/__tests__/cloud-init/nginx-rtmp\\.test\\.ts$", // nginx with RTMP, ffmpeg, PostgreSQL
  "/__tests__/cloud-init/https-acme\\.test\\.ts$", // nginx, certbot and pebble (built tools), runs as root
  "/__tests__/cloud-init/no-secrets-on-command-lines\\.test\\.ts$", // runuser and chown (root)
  // Not root nor a service, but slow: each command started twice through npm and ts-node (70 s of
  // CPU). The parsing they share is tested fast in __tests__/tools/command-line.test.ts.
  "/__tests__/commands/help\\.test\\.ts$",
  // Starts the drill's command three times through npx and ts-node; its figures are tested in it too.
  "/__tests__/drill/repeated-runs\\.test\\.ts$",
];

module.exports = { ...base, testPathIgnorePatterns: ["/node_modules/", ...leftOut] };
