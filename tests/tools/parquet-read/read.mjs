// Prints a Parquet file as JSON lines: first {"row_groups", "rows"} from its footer, then one object per row.
// Numbers that JSON cannot hold (NaN, ±Infinity) are printed as strings; 64-bit integers as numbers.
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet'

const file = await asyncBufferFromFile(process.argv[2])
const metadata = await parquetMetadataAsync(file)
console.log(JSON.stringify({ row_groups: metadata.row_groups.length, rows: Number(metadata.num_rows) }))
for (const row of await parquetReadObjects({ file })) {
  console.log(JSON.stringify(row, (_, v) => typeof v === 'bigint' ? Number(v) : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))
}
