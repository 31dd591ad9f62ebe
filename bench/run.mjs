// Entry of `npm run bench` (which builds bench/ and the packages it references first). The harness is
// TypeScript compiled to bench/dist; this file only hands over the command line.
import { main } from "./dist/main.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
