import { EstateValidationError, loadEstateFile } from "./estate";
import { exampleEstateFile } from "./estate/example-estate";
import { synthesizeEstate } from "./stacks/synthesize-estate";

// The estate description to synthesize: ESTATE_FILE, or the example estate that ships with the repo.
const estateFile = process.env.ESTATE_FILE ?? exampleEstateFile;

try {
  synthesizeEstate(loadEstateFile(estateFile));
} catch (error) {
  if (error instanceof EstateValidationError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
