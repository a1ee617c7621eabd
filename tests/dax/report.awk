# tests/dax/report.awk -- the table of tests/dax/run.sh from the guests' result lines:
#   R <cfg> <section> <lib> CHECK <name> <expected> <actual>
#   R <cfg> <section> <lib> INFO lib <path>
#   BOOT <cfg> ok|FAILED attempts <n> seconds <s>
# Fails (exit 1) if ours differs from the expected value, a check is missing for ours, an
# environment check (".env.") fails, the wrong library was loaded, or a configuration did not run.
function key_add(k) { if (!(k in seen)) { seen[k] = 1; order[++n] = k } }
function trim(x) { gsub(/^[ \t]+|[ \t]+$/, "", x); return x }
function glob_re(g) { gsub(/\./, "\\.", g); gsub(/\*/, ".*", g); gsub(/\?/, ".", g); return "^" g "$" }
# intended-differences.txt: "check | PMDK result | our result | reason", check may use * and ?
BEGIN {
	ni = 0
	if (intended != "") {
		while ((getline line < intended) > 0) {
			if (line ~ /^[ \t]*(#|$)/) continue
			nf = split(line, f, "|")
			if (nf < 4) continue
			ni++; i_re[ni] = glob_re(trim(f[1])); i_p[ni] = trim(f[2]); i_o[ni] = trim(f[3]); i_why[ni] = trim(f[4])
		}
		close(intended)
	}
}
function intended_reason(nm, p, o,   j) {
	for (j = 1; j <= ni; j++)
		if (nm ~ i_re[j] && p == i_p[j] && o == i_o[j]) return i_why[j]
	return ""
}
$1 == "R" && $5 == "CHECK" {
	k = $2 SUBSEP $3 SUBSEP $6
	key_add(k)
	cfg[k] = $2; sec[k] = $3; name[k] = $6
	if ($4 == "ours" || !(k in expv)) expv[k] = $7
	val[k, $4] = $8
	next
}
$1 == "R" && $5 == "INFO" && $6 == "lib" {
	k = $2 SUBSEP "lib" SUBSEP "loaded"
	key_add(k)
	cfg[k] = $2; sec[k] = "lib"; name[k] = "library.loaded"
	expv[k] = "right"
	if ($4 == "pmdk") val[k, "pmdk"] = ($7 ~ /^\/usr\/lib\/x86_64-linux-gnu\/libpmem\.so\.1/) ? "right" : $7
	if ($4 == "ours") val[k, "ours"] = ($7 == "/tmp/dc/ours/libpmem.so.1") ? "right" : $7
	next
}
$1 == "BOOT" { boot[$2] = $3; boot_s[$2] = $7; boot_try[$2] = $5; next }
END {
	fails = 0; ok = 0; pmdk_dev = 0; differ = 0
	if (verbose) {
		printf "%-8s %-14s %-34s %-17s %-17s %-17s %s\n", "config", "section", "check", "expected", "PMDK", "ours", "result"
		printf "%-8s %-14s %-34s %-17s %-17s %-17s %s\n", "------", "-------", "-----", "--------", "----", "----", "------"
	}
	for (i = 1; i <= n; i++) {
		k = order[i]
		e = expv[k]
		p = ((k, "pmdk") in val) ? val[k, "pmdk"] : "(missing)"
		o = ((k, "ours") in val) ? val[k, "ours"] : "(missing)"
		env = (name[k] ~ /(^|\.)env\./)
		if (env && (o != e || p != e)) { res = "ENV-FAIL"; fails++; flist = flist sprintf("  %s %s %s: expected %s, PMDK %s, ours %s (environment)\n", cfg[k], sec[k], name[k], e, p, o) }
		else if (o != e && (why = intended_reason(name[k], p, o)) != "") { res = "ok (intended difference: " why ")"; ok++ }
		else if (o != e) { res = "FAIL"; fails++; flist = flist sprintf("  %s %s %s: expected %s, PMDK %s, ours %s\n", cfg[k], sec[k], name[k], e, p, o) }
		else { res = "ok"; ok++ }
		if (!env && p != e) { pmdk_dev++; res = res " (PMDK differs from expected)"; dlist = dlist sprintf("  %s %s %s: expected %s, PMDK %s, ours %s\n", cfg[k], sec[k], name[k], e, p, o) }
		if (p != o) { differ++; xlist = xlist sprintf("  %s %s %s: expected %s, PMDK %s, ours %s\n", cfg[k], sec[k], name[k], e, p, o) }
		if (verbose || res !~ /^ok$|^ok \(intended/)
			printf "%-8s %-14s %-34s %-17s %-17s %-17s %s\n", cfg[k], sec[k], name[k], e, p, o, res
	}
	printf "\n"
	nc = split(configs, cl, " ")
	for (i = 1; i <= nc; i++) {
		c = cl[i]
		if (boot[c] == "ok") printf "config %-8s ran in %s s (%s boot%s)\n", c, boot_s[c], boot_try[c], (boot_try[c] > 1 ? "s" : "")
		else { printf "config %-8s DID NOT RUN%s\n", c, (c in boot) ? " (2 boots failed)" : ""; fails++; flist = flist "  config " c " did not run\n" }
	}
	printf "\n%d checks: %d ok, %d failed; PMDK deviates from the expected value in %d; PMDK and ours answer differently in %d\n", n, ok, fails, pmdk_dev, differ
	if (dlist != "") printf "PMDK deviations from the expected value (reported, not failures):\n%s", dlist
	if (xlist != "") printf "PMDK and ours answer differently:\n%s", xlist
	if (flist != "") printf "FAILURES:\n%s", flist
	printf "test-dax: %s (%d s)\n", fails ? "FAIL" : "PASS", total
	exit fails ? 1 : 0
}
