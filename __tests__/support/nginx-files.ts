import * as fs from "node:fs";
import * as path from "node:path";
import type { StreamKey } from "../../cloud-init";
import { NginxSettings, renderNginxConfig, renderNginxIncludedFiles, renderRtmpPublishCheck, renderStreamKeys, rtmpPublishFiles } from "../../cloud-init/pieces/nginx-rtmp";

/**
 * Writes nginx.conf and the files it includes (relative to its folder) into `directory`, the
 * on_publish check and its key list for `streams` among them; returns nginx.conf's path.
 */
export function writeNginxFiles(directory: string, settings: NginxSettings, { mainConfig = renderNginxConfig(settings), streams = [] as readonly StreamKey[] } = {}): string {
  const config = path.join(directory, "nginx.conf");
  fs.writeFileSync(config, mainConfig);
  fs.writeFileSync(path.join(directory, rtmpPublishFiles.check), renderRtmpPublishCheck(settings));
  fs.writeFileSync(path.join(directory, rtmpPublishFiles.streamKeys), renderStreamKeys(streams));
  for (const [name, content] of Object.entries(renderNginxIncludedFiles(settings))) {
    fs.mkdirSync(path.dirname(path.join(directory, name)), { recursive: true, mode: 0o755 });
    fs.writeFileSync(path.join(directory, name), content);
  }
  return config;
}
