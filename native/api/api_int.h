/* native/api/api_int.h: internals shared by the API's files (not a public header). */
#ifndef CRM_API_INT_H
#define CRM_API_INT_H
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <cjson/cJSON.h>
#include "api/crm_api.h"
#include "engine/crm_engine.h"
#include "sf/crm_sf.h"
#include "store/crm_store.h"

#define API_MAX_BODY ((size_t)1024 * 1024)
#define API_CACHE_SLOTS 32
#define API_CACHE_SECONDS 60
#define API_MAX_ADDRESSES 500
#define API_MAX_DEV_ITEMS 200

typedef struct api_user {
    char *email;
    char *token;          /* bearer token; never logged */
    char *sf_user_id;
    int64_t user_id, org_id;
    int64_t *mailbox_ids; /* the user's mailboxes in config order; [0] is "the" mailbox */
    char **mailbox_names;
    size_t n_mailboxes;
    const cJSON *mailbox0; /* the first mailbox's config entry ({"name","kind","config"}) */
} api_user;

typedef struct api_cache_slot {
    char *key;        /* canonical request: addresses|domains|owner */
    cJSON *records;
    time_t at;
} api_cache_slot;

typedef struct api_static {
    char *prefix;     /* "/sidebar/" */
    char *dir;        /* realpath of the directory */
} api_static;

struct crm_api {
    cJSON *config;          /* owned copy */
    crm_store *store;
    crm_engine *engine;
    crm_sf *sf;             /* opened on first need, reopened after an auth/network failure */
    crm_sf_config sfc;      /* strings point into config or secrets below */
    char *client_secret, *refresh_token; /* from *_env or the file; wiped on stop */
    char *admin_token;
    char *instance_url;     /* for links: salesforce.instance_url, else store, else login_url */
    api_user *users;
    size_t n_users;
    char **origins;
    size_t n_origins;
    api_static *statics;
    size_t n_statics;
    bool dev_host;
    api_cache_slot cache[API_CACHE_SLOTS];
    pthread_mutex_t mu;     /* serialises every /api/v1 request (one store/engine/sf handle) */
    struct MHD_Daemon *daemon;
    unsigned port;
    FILE *log;
};

/* A reply under construction. */
typedef struct api_reply {
    unsigned status;
    char *body;             /* malloc'd */
    const char *ctype;      /* NULL: application/json */
    int fd;                 /* static file: >= 0 */
    uint64_t fd_size;
    char location[1024];
    const char *allow;      /* for 405 */
} api_reply;

/* The request as the handlers see it. */
typedef struct api_req {
    const char *method, *path;
    struct MHD_Connection *conn;
    const char *body;
    size_t body_len;
    cJSON *json;            /* parsed body (NULL when none) */
    api_user *user;         /* the user acted for */
    bool admin;
    time_t now;
} api_req;

/* replies */
void api_reply_json(api_reply *r, unsigned status, cJSON *obj);  /* takes obj */
void api_reply_error(api_reply *r, unsigned status, const char *code, const char *path, const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
/* A core error object ({"code","message","path"?}) as an error reply. */
void api_reply_core_error(api_reply *r, unsigned status, const cJSON *error);
void api_reply_sf_error(api_reply *r, crm_api *api, crm_sf_status st);
void api_reply_store_error(api_reply *r, crm_api *api, crm_store_status st);

/* helpers */
const char *api_str(const cJSON *o, const char *key); /* "" when absent */
void api_rfc3339(time_t t, char *buf, size_t cap);
crm_sf_status api_sf(crm_api *api, crm_sf **out);   /* the connection, opened on demand */
void api_cache_clear(crm_api *api);

/* handlers (api_handlers.c): fill r; called with api->mu held and req->user set */
void api_h_me(crm_api *api, api_req *q, api_reply *r);
void api_h_lookup(crm_api *api, api_req *q, api_reply *r);
void api_h_save(crm_api *api, api_req *q, api_reply *r);
void api_h_dns_add(crm_api *api, api_req *q, api_reply *r);
void api_h_dns_remove(crm_api *api, api_req *q, api_reply *r);
void api_h_records(crm_api *api, api_req *q, api_reply *r);
void api_h_status(crm_api *api, api_req *q, api_reply *r);
void api_h_threads(crm_api *api, api_req *q, api_reply *r);
void api_h_issues(crm_api *api, api_req *q, api_reply *r);
void api_h_settings(crm_api *api, api_req *q, api_reply *r);
void api_h_dev_items(crm_api *api, api_req *q, api_reply *r);

/* config (api_config.c) */
crm_api_status api_setup(crm_api *api, char **err);
void api_teardown(crm_api *api);
#endif
