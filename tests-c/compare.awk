# compare.awk -- compares a reference output (first file) with a test output (second file).
# Lines are "check-name: result". Prints one line per check, tab-separated:
#   P <name>                                   equal
#   I <name> intended <ref> <test>             differs as listed in INTENDED
#   F <name> differs|duplicate <ref> <test>    failure
# Variables: CASE (run.sh case name), INTENDED (path of intended-differences.txt).
function key(s) { i = index(s, ": "); return i ? substr(s, 1, i - 1) : s }
function val(s) { i = index(s, ": "); return i ? substr(s, i + 2) : "" }
function glob_match(pat, s,   re) {
	re = pat; gsub(/[.+^$(){}|\[\]\\]/, "\\\\&", re); gsub(/\*/, ".*", re); gsub(/\?/, ".", re)
	return s ~ ("^" re "$")
}
BEGIN {
	FS = "\n"
	while ((getline l < INTENDED) > 0) {
		if (l ~ /^[ \t]*#/ || l ~ /^[ \t]*$/) continue
		n = split(l, f, "|")
		if (n < 5) continue
		for (j = 1; j <= 4; j++) { gsub(/^[ \t]+|[ \t]+$/, "", f[j]) }
		ni++; ic[ni] = f[1]; ik[ni] = f[2]; ir[ni] = f[3]; it[ni] = f[4]
	}
}
FNR == NR { k = key($0); if (k in R) dupR[k] = 1; R[k] = val($0); order[++no] = k; next }
{ k = key($0); if (k in T) dupT[k] = 1; T[k] = val($0); if (!(k in R)) order[++no] = k }
END {
	for (x = 1; x <= no; x++) {
		k = order[x]
		if (k in seen) continue
		seen[k] = 1
		r = (k in R) ? R[k] : "<missing>"
		t = (k in T) ? T[k] : "<missing>"
		if (k in dupR || k in dupT) { print "F\t" k "\tduplicate check name\t" r "\t" t; continue }
		if (r == t) { print "P\t" k; continue }
		ok = 0
		for (j = 1; j <= ni; j++)
			if (glob_match(ic[j], CASE) && glob_match(ik[j], k) && ir[j] == r && it[j] == t) { ok = 1; break }
		if (ok) print "I\t" k "\tintended\t" r "\t" t
		else print "F\t" k "\tdiffers\t" r "\t" t
	}
}
