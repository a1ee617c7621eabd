# normalize.awk -- a Valgrind report (pmemcheck or memcheck) reduced to what must match
# between two libraries: each reported store or error with the test program's own frames
# (file:line), its section and its state, where its store was made (program, libpmem or
# other: the first frame), plus the totals. Addresses, pids, library frames,
# store sizes and counts (they follow the width of each library's stores) are dropped.
# Run with -v SRC="a.c b.c" naming the test program's sources. Output: sorted, unique lines.

function progframes(line,    out, m) {
	out = ""
	while (match(line, /\(([A-Za-z0-9_]+\.c):[0-9]+\)/)) {
		m = substr(line, RSTART + 1, RLENGTH - 2)
		split(m, parts, ":")
		if (parts[1] in srcs)
			out = out m
		line = substr(line, RSTART + RLENGTH)
	}
	return out
}
function flush_entry() {
	if (entry == "store")
		print section " | " frames " | " where " | " state
	else if (entry != "")
		print section " | " frames " | " state
	entry = ""; frames = ""; state = ""; where = ""
}
BEGIN {
	n = split(SRC, list, " ")
	for (i = 1; i <= n; i++)
		srcs[list[i]] = 1
	section = ""; entry = ""; frames = ""; state = ""; in_stack = 0
}
{
	sub(/^==[0-9]+== ?/, "")
}
# pmemcheck: "Stores not made persistent properly:", "Overwritten stores before ...:", ...
/^[A-Z][A-Za-z ,]*:$/ && !/^HEAP SUMMARY:$/ && !/^LEAK SUMMARY:$/ {
	flush_entry(); section = $0; next
}
/^\[[0-9]+\] +at / {
	flush_entry(); entry = "store"; f = progframes($0); if (f != "") frames = f
	where = f != "" ? "program" : ($0 ~ /\(in [^)]*\/libpmem\.so/ ? "libpmem" : "other")
	next
}
entry == "store" && /^ +by / {
	f = progframes($0); if (f != "") frames = (frames == "" ? f : frames " < " f); next
}
entry == "store" && /state: / {
	s = $0; sub(/.*state: /, "", s); state = s; flush_entry(); next
}
entry == "store" && /^\tAddress: / { flush_entry(); next }
/^Total memory not made persistent: / { flush_entry(); print; next }
/^Process terminating/ { flush_entry(); print; next }
# memcheck: an error is a header line followed by its stack
/^[A-Z][^:]*[a-z)]$/ && !/^(HEAP|LEAK) SUMMARY/ && !/^All heap blocks/ && !/^For lists/ && !/^Command/ && !/^Using/ && !/^Copyright/ && !/^Memcheck/ {
	flush_entry(); section = $0; entry = "error"; in_stack = 1; next
}
entry == "error" && in_stack && /^ +(at|by) / {
	f = progframes($0); if (f != "") frames = (frames == "" ? f : frames " < " f); next
}
entry == "error" && /^ +Address / { in_stack = 0; next }
entry == "error" && /^$/ { state = "error"; flush_entry(); section = ""; next }
/still reachable: |definitely lost: |indirectly lost: |possibly lost: / { flush_entry(); print; next }
/in use at exit: / { flush_entry(); print; next }
/^ERROR SUMMARY: .* contexts/ { flush_entry(); print; next }
END { flush_entry() }
