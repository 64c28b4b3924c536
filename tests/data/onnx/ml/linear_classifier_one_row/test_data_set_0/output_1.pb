
Boutput_1JP|rjA|rZÁ¯3iA¯3YÁÁã[AÁãKÁl”`Al”PÁÄ(¸@Ä(˜À ÞR@ ÞÀXåH@XåÀ¤kŽÀ¤k®@ÐÀÐ^@¨w[ÀÔ»@