"""Reads an SVG that dot rendered from laminac --emit=dot as XML and prints
its kernel clusters (and, given --emit=plan's text, the plan's kernel
count) and how many nodes each phase's colour fills."""
import re
import sys
import xml.etree.ElementTree as ET

NS = "{http://www.w3.org/2000/svg}"
root = ET.parse(sys.argv[1]).getroot()
clusters = [g for g in root.iter(NS + "g")
            if g.get("class") == "cluster" and
            g.findtext(NS + "title", "").startswith("cluster_k")]
line = f"clusters {len(clusters)}"
if len(sys.argv) > 2:
    plan = open(sys.argv[2]).read()
    line += ", kernels in the plan " + \
        re.search(r"(\d+) kernels", plan).group(1)
print(line)
fills = {"forward": "#dbe9f6", "backward": "#f9d5cf", "update": "#d5efd0"}
nodes = [g for g in root.iter(NS + "g") if g.get("class") == "node" and
         not g.findtext(NS + "title", "").startswith("legend")]
counts = {k: sum(1 for n in nodes for p in n.iter(NS + "path")
                 if p.get("fill") == v) for k, v in fills.items()}
print(" ".join(f"{k} {v}" for k, v in counts.items()))
