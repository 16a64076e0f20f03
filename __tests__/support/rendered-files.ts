// The tests read rendered documents with the estate's own reader (cloud-init/cloud-config.ts).
import { renderedFileOf } from "../../cloud-init";

export { parseCloudConfig } from "../../cloud-init";

/** The decoded content of the file a rendered document writes at `path`. */
export function renderedFile(document: string, path: string): string {
  return renderedFileOf(document, path).content;
}
