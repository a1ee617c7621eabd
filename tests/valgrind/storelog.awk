# storelog.awk -- pmemcheck's store log (--log-stores=yes, between START and STOP) as one
# event a line, in order, comparable between two runs: addresses become region+offset (the
# regions numbered in order of registration), stored values and file names are dropped
# (pool UUIDs and paths differ from run to run); sizes, flushes, fences and markers are kept.
# Events before the first registered file are dropped: they are the libraries' start-up
# (atomic instructions, which pmemcheck logs as fences), not the program's stores.

function hex(s,    i, c, v) {
	v = 0
	s = tolower(substr(s, 3))
	for (i = 1; i <= length(s); i++)
		v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
	return v
}
# an address as rN+offset, or "out" when no registered region holds it
function place(s,    a, k) {
	a = hex(s)
	for (k = nreg; k >= 1; k--)
		if (a >= base[k] && a < base[k] + size[k])
			return "r" k "+" (a - base[k])
	return "out"
}
function event(e,    f, n) {
	n = split(e, f, ";")
	if (nreg == 0 && f[1] != "REGISTER_FILE")
		return
	if (f[1] == "STORE")
		print "STORE;" place(f[2]) ";" hex(f[4])
	else if (f[1] == "FLUSH")
		print "FLUSH;" place(f[2]) ";" hex(f[3])
	else if (f[1] == "REGISTER_FILE") {
		nreg++
		base[nreg] = hex(f[3])
		size[nreg] = hex(f[4])
		print "REGISTER_FILE;r" nreg ";" size[nreg] ";" f[5]
	} else
		print e
}
{ sub(/^==[0-9]+== /, "") }
/^START\|/ { on = 1; $0 = substr($0, 7) }
on {
	stop = sub(/\|?STOP$/, "")
	n = split($0, ev, "|")
	for (i = 1; i <= n; i++)
		if (ev[i] != "")
			event(ev[i])
	if (stop)
		on = 0
}
