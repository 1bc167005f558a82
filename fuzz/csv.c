/*
 * fuzz/csv.c: libFuzzer target for the CSV reader (csv_parse: encoding
 * detection, GB18030 conversion and RFC 4180 parsing) that household
 * imports run on files from outside. `make fuzz` builds and runs it.
 */
#include "households/transfer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_table t;
	struct csv_error e;
	if (csv_parse((const char *)data, size, &t, &e) == 0) {
		for (size_t r = 0; r < t.nrows; r++)
			for (size_t c = 0; c < csv_row_len(&t, r); c++)
				if (!csv_field(&t, r, c))
					__builtin_trap();
	}
	csv_table_release(&t);
	return 0;
}
