import sys
refused = set("""auth_basic auth_basic_user_file auth_request auth_request_set auth_delay limit_req limit_req_zone limit_req_status limit_req_log_level limit_req_dry_run
limit_conn limit_conn_zone limit_conn_status limit_conn_log_level limit_conn_dry_run limit_except satisfy ssl_verify_client ssl_client_certificate ssl_crl ssl_verify_depth ssl_ocsp ssl_ocsp_responder ssl_ocsp_cache
secure_link secure_link_md5 secure_link_secret valid_referers referer_hash_bucket_size referer_hash_max_size
fastcgi_pass uwsgi_pass scgi_pass grpc_pass memcached_pass
sub_filter sub_filter_once sub_filter_types sub_filter_last_modified add_before_body add_after_body addition_types add_trailer
ssi ssi_types ssi_silent_errors ssi_value_length ssi_last_modified ssi_min_file_chunk ssi_ignore_recycled_buffers
charset charset_map source_charset override_charset charset_types
empty_gif stub_status autoindex autoindex_exact_size autoindex_format autoindex_localtime random_index flv mp4 mp4_buffer_size mp4_max_buffer_size mp4_start_key_frame slice
dav_methods dav_access create_full_put_path min_delete_depth mirror mirror_request_body post_action
proxy_method proxy_set_body proxy_cookie_domain proxy_cookie_path proxy_cookie_flags proxy_store proxy_store_access proxy_bind
real_ip_header real_ip_recursive set_real_ip_from userid userid_domain userid_expires userid_flags userid_mark userid_name userid_p3p userid_path userid_service
geo split_clients expires etag if_modified_since disable_symlinks max_ranges ancient_browser ancient_browser_value modern_browser modern_browser_value
proxy_ssl_certificate proxy_ssl_certificate_key proxy_ssl_verify proxy_ssl_trusted_certificate proxy_ssl_crl proxy_ssl_name proxy_ssl_server_name proxy_ssl_verify_depth proxy_ssl_password_file
gzip_static gunzip proxy_force_ranges""".split())
implemented = set(sys.argv[1].split())
ctxmap = dict(main="cMain", events="cEvents", http="cHTTP", server="cServer", location="cLocation", sif="cServerIf", lif="cLocationIf", upstream="cUpstream", lmt="cLimitExcept")
out = []
for line in open(sys.argv[2] if len(sys.argv) > 2 else "contexts.tsv"):
    f = line.rstrip("\n").split("\t")
    name, ctxs, counts, blk, flag = f[0], f[1], f[2], f[3], f[4]
    if not ctxs or name in implemented:
        continue
    c = "|".join(ctxmap[x] for x in ctxs.split(","))
    cs = counts.split(",")
    if flag == "flag=1":
        a = "argFlag"
    elif cs == [str(i) for i in range(0, 9)]:
        a = "argAny"
    elif cs == [str(i) for i in range(1, 9)]:
        a = "arg1More"
    elif cs == [str(i) for i in range(2, 9)]:
        a = "arg2More"
    else:
        a = "|".join("argNone" if x == "0" else "arg" + x for x in cs)
    if blk == "block=1":
        a = "argBlock|" + a
    st = "refused" if name in refused else "ignored"
    if name.startswith("ssl") and name not in refused:
        st = "tlsOnly"
    out.append('\t{name: "%s", ctx: %s, args: %s, status: %s},' % (name, c, a, st))
missing = refused - set(l.split("\t")[0] for l in open(sys.argv[2] if len(sys.argv) > 2 else "contexts.tsv"))
sys.stderr.write("refused not in nginx: %s\n" % missing)
print("\n".join(out))
