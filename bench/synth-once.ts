// One synth of the example estate with its cloud servers on the given provider: what `cdktf synth`
// does, without the CLI's own start-up.
import { exampleEstate } from "../estate/example-estate";
import { synthesizeEstate } from "../stacks/synthesize-estate";

const [provider, outdir] = process.argv.slice(2);
if (provider !== "hetzner" && provider !== "digitalocean") {
  throw new Error(`usage: synth-once.ts hetzner|digitalocean OUTDIR (got "${provider}")`);
}
synthesizeEstate(exampleEstate(provider), outdir);
