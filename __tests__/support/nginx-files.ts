import * as fs from "node:fs";
import * as path from "node:path";
import { NginxSettings, renderNginxConfig, renderNginxIncludedFiles } from "../../cloud-init/pieces/nginx-rtmp";

/** Writes nginx.conf and the files it includes (relative to its folder) into `directory`; returns nginx.conf's path. */
export function writeNginxFiles(directory: string, settings: NginxSettings, mainConfig = renderNginxConfig(settings)): string {
  const config = path.join(directory, "nginx.conf");
  fs.writeFileSync(config, mainConfig);
  for (const [name, content] of Object.entries(renderNginxIncludedFiles(settings))) {
    fs.mkdirSync(path.dirname(path.join(directory, name)), { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(directory, name), content);
  }
  return config;
}
