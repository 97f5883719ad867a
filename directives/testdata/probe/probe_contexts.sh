#!/bin/bash
# probe1.sh NAME -> NAME \t ctxs \t counts \t notes
n=$1; d=$(mktemp -d)
run(){ printf '%b' "$1" > $d/c.conf; nginx -t -c $d/c.conf -p $d/ 2>&1 | head -1 | sed 's/^.*\[emerg\] [0-9#]*: //'; }
ctxs=""; first=""; blk=0
for c in main events http server location sif lif upstream lmt; do
  for form in "$n;" "$n a {}"; do :; done
  body="$n;"
  case $c in
   main) cfg="events{}\n$body\n";;
   events) cfg="events{$body}\n";;
   http) cfg="events{}\nhttp{$body}\n";;
   server) cfg="events{}\nhttp{server{$body}}\n";;
   location) cfg="events{}\nhttp{server{location / {$body}}}\n";;
   sif) cfg="events{}\nhttp{server{if (\$uri) {$body}}}\n";;
   lif) cfg="events{}\nhttp{server{location / {if (\$uri) {$body}}}}\n";;
   upstream) cfg="events{}\nhttp{upstream u {$body}}\n";;
   lmt) cfg="events{}\nhttp{server{location / {limit_except GET {$body}}}}\n";;
  esac
  out=$(run "$cfg")
  case "$out" in *"is not allowed here"*|*"unknown directive"*) ;; *) ctxs="$ctxs,$c"; [ -z "$first" ] && first=$c; case "$out" in *"has no opening"*) blk=1;; esac;; esac
done
counts=""; flag=0
if [ -n "$first" ]; then
 for k in 0 1 2 3 4 5 6 7 8; do
  args=""; for ((i=0;i<k;i++)); do args="$args a$i"; done
  if [ $blk = 1 ]; then body="$n$args {}"; else body="$n$args;"; fi
  case $first in
   main) cfg="events{}\n$body\n";;
   events) cfg="events{$body}\n";;
   http) cfg="events{}\nhttp{$body}\n";;
   server) cfg="events{}\nhttp{server{$body}}\n";;
   location) cfg="events{}\nhttp{server{location / {$body}}}\n";;
   sif) cfg="events{}\nhttp{server{if (\$uri) {$body}}}\n";;
   lif) cfg="events{}\nhttp{server{location / {if (\$uri) {$body}}}}\n";;
   upstream) cfg="events{}\nhttp{upstream u {$body}}\n";;
   lmt) cfg="events{}\nhttp{server{location / {limit_except GET {$body}}}}\n";;
  esac
  out=$(run "$cfg")
  case "$out" in *"invalid number of arguments"*) ;; *) counts="$counts,$k";; esac
  if [ $k = 1 ]; then case "$out" in *'it must be "on" or "off"'*) flag=1;; esac; fi
 done
fi
echo -e "$n\t${ctxs#,}\t${counts#,}\tblock=$blk\tflag=$flag"
rm -rf $d
