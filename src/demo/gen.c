/*
 * gen.c: the demo town's people. Names draw on surnames common in western
 * Guangdong (陈, 李, 黄, 林, 梁 ...), weighted roughly by frequency; ID
 * numbers carry a correct GB 11643 check character so that validation
 * treats them like real ones.
 */
#include "gen.h"

void rng_seed(struct rng *r, uint64_t seed)
{
	r->s = seed ? seed : 0x9E3779B97F4A7C15ULL;
}

/* splitmix64 */
uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

uint32_t rng_below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rng_next(r) % n) : 0;
}

int rng_chance(struct rng *r, unsigned per_mille)
{
	return rng_below(r, 1000) < per_mille;
}

static const struct {
	const char *name;
	unsigned weight;
} surnames[] = {
	{ "陈", 120 }, { "李", 80 }, { "黄", 80 }, { "林", 60 }, { "梁", 60 }, { "张", 50 },
	{ "王", 40 },  { "吴", 40 }, { "刘", 40 }, { "何", 35 }, { "杨", 30 }, { "钟", 30 },
	{ "周", 25 },  { "邓", 25 }, { "罗", 25 }, { "郑", 20 }, { "许", 20 }, { "谢", 20 },
	{ "冯", 18 },  { "莫", 18 }, { "庞", 15 }, { "全", 12 }, { "龙", 12 }, { "揭", 10 },
	{ "严", 10 },  { "卢", 10 }, { "苏", 10 }, { "温", 10 }, { "彭", 8 },  { "叶", 8 },
};

static const char *const given_m[] = { "伟", "强", "明", "军", "华", "建", "国", "志", "文", "辉",
				       "海", "东", "永", "德", "光", "荣", "金", "福", "俊", "杰",
				       "家", "耀", "锦", "振", "开", "成", "宏", "源", "涛", "斌" };
static const char *const given_f[] = { "芳", "英", "玲", "丽", "红", "燕", "梅", "霞", "秀", "娟",
				       "敏", "静", "婷", "兰", "琼", "凤", "珍", "妹", "彩", "月",
				       "萍", "慧", "娇", "桂", "雪", "瑶", "欣", "佳", "惠", "莲" };

size_t rng_weighted(struct rng *r, const unsigned *weights, size_t n, size_t stride)
{
#define W(i) (*(const unsigned *)(const void *)((const char *)weights + (i) * stride))
	unsigned total = 0, x;
	for (size_t i = 0; i < n; i++)
		total += W(i);
	x = rng_below(r, total);
	for (size_t i = 0; i < n; i++) {
		if (x < W(i))
			return i;
		x -= W(i);
	}
	return 0;
#undef W
}

static const char *pick_surname(struct rng *r)
{
	return surnames[rng_weighted(r, &surnames[0].weight, ARRAY_SIZE(surnames), sizeof(surnames[0]))].name;
}

void gen_name_with_surname(struct rng *r, const char *surname, char sex, char *out, size_t n)
{
	const char *const *g = sex == 'F' ? given_f : given_m;
	size_t ng = sex == 'F' ? ARRAY_SIZE(given_f) : ARRAY_SIZE(given_m);
	if (rng_chance(r, 700))
		snprintf(out, n, "%s%s%s", surname, g[rng_below(r, (uint32_t)ng)], g[rng_below(r, (uint32_t)ng)]);
	else
		snprintf(out, n, "%s%s", surname, g[rng_below(r, (uint32_t)ng)]);
}

void gen_name(struct rng *r, char sex, char *out, size_t n)
{
	gen_name_with_surname(r, pick_surname(r), sex, out, n);
}

void gen_surname_of(const char *name, char *out, size_t n)
{
	/* every surname above is one CJK character: three bytes of UTF-8 */
	snprintf(out, n, "%.3s", name);
}

void gen_id_number(struct rng *r, const char *area6, int y, int m, int d, char sex, char *out)
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
	static const char check[] = "10X98765432";
	unsigned seq = rng_below(r, 500) * 2 + (sex == 'M' ? 1 : 0); /* 3 digits, odd for men */
	int sum = 0;
	snprintf(out, 19, "%.6s%04d%02d%02d%03u", area6, y, m, d, seq % 1000);
	for (int i = 0; i < 17; i++)
		sum += (out[i] - '0') * w[i];
	out[17] = check[sum % 11];
	out[18] = '\0';
}

void gen_mobile(struct rng *r, char *out)
{
	static const char *const prefixes[] = { "134", "135", "136", "137", "138", "139", "150",
						"151", "152", "157", "158", "159", "182", "183",
						"187", "188", "130", "131", "132", "155", "156",
						"185", "186", "133", "153", "180", "189", "177" };
	snprintf(out, 12, "%s%04u%04u", prefixes[rng_below(r, ARRAY_SIZE(prefixes))], rng_below(r, 10000),
		 rng_below(r, 10000));
}
