import subprocess, tempfile, re, sys
from multiprocessing import Pool
wrap = {
 'main': ("", "\nevents{}\n"), 'events': ("events{\n", "\n}\n"), 'http': ("events{}\nhttp{\n", "\n}\n"),
 'server': ("events{}\nhttp{server{\n", "\n}}\n"), 'location': ("events{}\nhttp{server{location / {\n", "\n}}}\n"),
 'sif': ("events{}\nhttp{server{if ($uri) {\n", "\n}}}\n"), 'lif': ("events{}\nhttp{server{location / {if ($uri) {\n", "\n}}}}\n"),
 'upstream': ("events{}\nhttp{upstream u {server 127.0.0.1;\n", "\n}}\n"), 'lmt': ("events{}\nhttp{server{location / {limit_except GET {\n", "\n}}}}\n"),
}
def run(text):
    d = tempfile.mkdtemp(prefix='nginxprobe.')
    open(d+'/c.conf','w').write(text)
    out = subprocess.run(['nginx','-t','-c',d+'/c.conf','-p',d+'/'],capture_output=True,text=True).stderr
    subprocess.run(['rm','-rf',d])
    for l in out.split('\n'):
        m = re.search(r'\[emerg\] \d+#\d+: (.*)', l)
        if m: return m.group(1)
    return ''
def probe(line):
    f = line.rstrip('\n').split('\t')
    name, ctxs, counts, blk, flag = f
    if not ctxs or blk == 'block=1': return None
    c = ctxs.split(',')[0]
    pre, suf = wrap[c]
    one = lambda v: run(pre + name + ' ' + v + ';' + suf)
    two = lambda v: run(pre + name + ' ' + v + ';\n' + name + ' ' + v + ';' + suf)
    res = {'name': name}
    if flag == 'flag=1':
        res['kind'] = 'flag'
        res['dup'] = 'is duplicate' in two('on')
        return res
    if '1' not in counts.split(','):
        return res
    m = one('x')
    kind = ''
    if 'invalid number' in m: kind = 'num'
    elif 'directive invalid value' in m:
        ok = lambda v: one(v) == '' or 'directive invalid value' not in one(v)
        if one('1g') == '' : kind = 'offset'
        elif one('1k') == '': kind = 'size'
        elif one('500ms') == '': kind = 'msec'
        elif one('5s') == '': kind = 'sec'
        else: kind = 'value?'
    elif m == '': kind = 'any'
    else: kind = 'other:' + m
    res['kind'] = kind
    valid = {'num': '1', 'offset': '1k', 'size': '1k', 'msec': '5s', 'sec': '5s', 'any': 'x'}.get(kind)
    if valid:
        res['dup'] = 'is duplicate' in two(valid)
    return res
lines = [l for l in open(sys.argv[2] if len(sys.argv) > 2 else 'contexts.tsv')]
names = set(sys.argv[1].split())
lines = [l for l in lines if l.split('\t')[0] in names]
with Pool(2) as p:
    for r in p.map(probe, lines):
        if r: print(r)
