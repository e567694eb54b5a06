// ajv-formats' stand-in in the Worker bundle (wrangler.toml `[alias]`): see ./ajv.ts.
import { addFormats } from './ajv'

export default addFormats
