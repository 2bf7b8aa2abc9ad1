/* crm/export.h: the one export macro. The core is built with -fvisibility=hidden;
 * only declarations marked CRM_API are part of the library's symbol table. */
#ifndef CRM_EXPORT_H
#define CRM_EXPORT_H
#if defined(__GNUC__) || defined(__clang__)
#define CRM_API __attribute__((visibility("default")))
#define CRM_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define CRM_API
#define CRM_WARN_UNUSED
#endif
#endif
