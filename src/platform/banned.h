/*
 * banned.h: functions whose use is a defect in this code base. Included last
 * by every .c file through the build flags, so that a use fails to compile.
 */
#ifndef ZL_BANNED_H
#define ZL_BANNED_H

#define BANNED(func) sorry_##func##_is_banned

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) BANNED(strncpy)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) BANNED(vsprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef localtime
#define localtime(t) BANNED(localtime)
#undef gmtime_r
#define gmtime_r(t, tm) BANNED(gmtime_r)
#undef localtime_r
#define localtime_r(t, tm) BANNED(localtime_r)

#endif
