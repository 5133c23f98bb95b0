"""Community and trust: verified-buyer reviews, questions and answers, experts and badges, rankings,
complaints."""
